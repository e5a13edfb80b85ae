"""Both catalogues cover every text of the interface."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "eventapp" / "translations"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """The message ids in the code and templates now, extracted as the build does."""
    template = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_pgettext:1c,2",
            "-o",
            str(template),
            "eventapp",
        ],
        cwd=ROOT,
        check=True,
    )
    with template.open("rb") as handle:
        return {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in read_po(handle)
            if message.id
        }


def _catalogue(locale: str) -> dict[str, object]:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): m
        for m in catalogue
        if m.id
        and "fuzzy" not in m.flags
        and all(m.string if isinstance(m.string, tuple) else [m.string])
    }


@pytest.mark.parametrize("locale", ["de", "en"])
def test_catalogue_translates_every_text(extracted, locale):
    translated = _catalogue(locale)
    missing = sorted(extracted - set(translated))
    assert not missing, f"{len(missing)} texts lack a {locale} translation, e.g. {missing[:10]}"


@pytest.mark.parametrize("locale", ["de", "en"])
def test_no_catalogue_entry_is_fuzzy(locale):
    """A fuzzy entry is a guess: the build leaves it out, so the page would show the English id."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    fuzzy = sorted(str(m.id) for m in catalogue if m.id and m.fuzzy)
    assert not fuzzy, f"{len(fuzzy)} fuzzy {locale} entries, e.g. {fuzzy[:10]}"
    assert not catalogue.fuzzy, f"the {locale} catalogue's header is marked fuzzy"


def test_german_catalogue_is_german_not_a_copy(extracted):
    translated = _catalogue("de")
    differing = [m for m in translated.values() if m.string != m.id]
    # Proper names and short labels may be the same in both languages, but not most texts.
    assert len(differing) > 0.6 * len(extracted)


def test_the_interface_uses_the_compiled_german_catalogue(client, make_event):
    make_event(slug="kongress")
    german = client.get("/events/kongress", headers={"Accept-Language": "de"}).get_data(True)
    english = client.get("/events/kongress?lang=en").get_data(True)
    assert "Programme" in english
    assert "Programm" in german and "Programme" not in german
