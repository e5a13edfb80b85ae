"""Browser fixtures: headless Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def launch_chromium() -> Iterator[Callable[..., Browser]]:
    """Start Chromium with the usual flags plus ``extra_args``; closed after the test."""
    # A missing browser is a broken set-up, not a reason to skip.
    assert os.path.exists(CHROMIUM), f"Chromium is required at {CHROMIUM}"
    with sync_playwright() as playwright:
        browsers: list[Browser] = []

        def launch(*extra_args: str) -> Browser:
            browsers.append(
                playwright.chromium.launch(
                    executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
                )
            )
            return browsers[-1]

        yield launch
        for browser in browsers:
            browser.close()
