"""The built package is complete: installed from its wheel, outside the checkout, it serves German.

The wheel is built from a copy of the sources without any compiled catalogue, so the build
itself has to compile them; it is then installed into a fresh virtual environment and run
from a folder that has nothing of the checkout in it.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from support import free_port, wait_until_serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GERMAN = ROOT / "eventapp" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
DEMO_EVENT = "fachkongress-buerstadt"
PIP = [sys.executable, "-m", "pip"]
# What a checkout holds besides the sources; *.mo above all, which only the build may make.
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "instance",
    "__pycache__",
    "*.mo",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "node_modules",
    "tests",
    "bench",
)


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh virtual environment with the wheel installed; (its python, a clean environment).

    The wheel is built without build isolation and installed with ``--no-deps``, so nothing is
    downloaded. Its dependencies come from the environment running the tests: a .pth file in
    the new environment adds that environment's site-packages to the end of ``sys.path``.
    ``--system-site-packages`` would not do, as it shares the base interpreter's packages, not
    those of the environment running the tests; and the lines of a .pth file only add a path,
    they do not run the .pth files found there, so the checkout's editable install stays out
    and ``eventapp`` comes from the wheel alone.
    """
    work = tmp_path_factory.mktemp("wheel")
    # Nothing of the test run: no PYTHONPATH to the checkout, no database or instance settings.
    env = {"PATH": os.environ["PATH"], "HOME": str(work), "LANG": "C.UTF-8"}
    sources = work / "sources"
    shutil.copytree(ROOT, sources, ignore=NOT_SOURCES)
    dist = work / "dist"
    run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(sources)],
        cwd=work,
        env=env,
    )
    (wheel,) = dist.glob("eventapp-*.whl")

    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], work, env)
    python = venv / "bin" / "python"
    run(
        [*PIP, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        cwd=work,
        env=env,
    )
    site_packages = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work, env
        ).strip()
    )
    (site_packages / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    yield python, env


def test_the_package_comes_from_the_wheel_not_the_checkout(installed, tmp_path):
    python, env = installed
    location = run([str(python), "-c", "import eventapp; print(eventapp.__file__)"], tmp_path, env)
    assert Path(location.strip()).is_relative_to(python.parent.parent)
    # The console script brings the database and demo commands, as ``flask --app`` does.
    commands = run([str(python.parent / "eventapp"), "--help"], tmp_path, env)
    assert "db " in commands and "demo " in commands


def test_the_installed_wheel_migrates_loads_the_demo_and_serves_german(installed, tmp_path):
    python, env = installed
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """\
            from eventapp import create_app

            app = create_app()
            """
        )
    )
    run([str(python), "-m", "flask", "--app", "app", "db", "upgrade"], tmp_path, env)
    run([str(python), "-m", "flask", "--app", "app", "demo", "load"], tmp_path, env)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # As the README starts it in production, with the package's gunicorn settings.
    gunicorn = [str(python), "-m", "gunicorn", "-c", "python:eventapp.gunicorn_conf"]
    server = subprocess.Popen(
        [*gunicorn, "--workers", "1", "--bind", f"127.0.0.1:{port}", "app:app"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(url, server)
        with urllib.request.urlopen(f"{url}/events/{DEMO_EVENT}", timeout=10) as response:
            page = response.read().decode()
            server_header = response.headers.get("Server")
    finally:
        server.terminate()
        server.wait(timeout=15)

    assert '<html lang="de"' in page
    assert server_header is None
    text = html.unescape(page)
    with GERMAN.open("rb") as handle:
        translated = {m.id: m.string for m in read_po(handle, locale="de") if m.id and m.string}
    for english in ("Skip to content", "Programme", "Privacy notice", "Speakers"):
        assert translated[english] in text, english
        assert english not in text, english
    # No text of the interface falls back to English (phrases of two words or more that
    # German says differently; single words could be names).
    english_phrases = [
        english
        for english, german in translated.items()
        if isinstance(english, str) and " " in english and german != english
    ]
    assert [phrase for phrase in english_phrases if phrase in text] == []
