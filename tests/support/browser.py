"""What every browser test shares: Debian's chromium through Playwright (never `playwright
install`), and a page of the team UI that has logged in through the real login form.

The ``browser`` fixture in tests/conftest.py launches one chromium per test module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def need_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium, closed afterwards."""
    need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def log_in(browser: Any, base_url: str, name: str, password: str, *, width: int = 1280, height: int = 900,
           start: str = "/team/login", **options: Any) -> Any:
    """A page in a new browser context (``options`` go to ``new_context``) that opened ``start``,
    was sent to the login form if that is a team page, and logged in there as ``name``."""
    page = browser.new_context(viewport={"width": width, "height": height}, **options).new_page()
    page.goto(base_url + start)
    assert "/team/login" in page.url  # nothing of the team UI without logging in
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    assert not re.search(r"/team/login\b", page.url), f"login as {name} failed: {page.url}"
    return page
