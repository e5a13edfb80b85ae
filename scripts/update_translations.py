"""Extract every text, merge it into the German catalogue and rebuild the English one.

Message ids are English, so the English catalogue repeats each id as its translation;
the German catalogue is translated by hand (new entries arrive empty).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "eventapp" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"


def pybabel(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *args], cwd=ROOT, check=True
    )


def main() -> None:
    TRANSLATIONS.mkdir(exist_ok=True)
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "-k",
        "lazy_pgettext:1c,2",
        "--no-location",
        "--sort-output",
        "-o",
        str(TEMPLATE),
        "eventapp",
    )
    for locale in ("de", "en"):
        catalogue = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if catalogue.exists():
            pybabel(
                "update",
                "-N",
                "--ignore-obsolete",
                "-i",
                str(TEMPLATE),
                "-d",
                str(TRANSLATIONS),
                "-l",
                locale,
            )
        else:
            pybabel("init", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", locale)
    # English repeats each id; German keeps what was translated. Both are written
    # the same way so that diffs stay small.
    for locale in ("de", "en"):
        path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=locale)
        if locale == "en":
            for message in catalogue:
                if message.id:
                    message.string = message.id
                    message.flags.discard("fuzzy")
        with path.open("wb") as handle:
            write_po(handle, catalogue, no_location=True, sort_output=True, width=100)
        if locale == "de":
            missing = [
                m.id
                for m in catalogue
                if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
            ]
            print(f"{len(missing)} German translations missing")


if __name__ == "__main__":
    main()
