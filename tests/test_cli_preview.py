"""``mailer preview``: writes the issue into the output folder, and it reads well in a browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main

from conftest import write_config

SLUG = "2027-01-de-nieuwe-makers"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


@pytest.fixture
def written(tmp_path, monkeypatch) -> Path:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(var, raising=False)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url))
    cfg_path = write_config(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(cfg_path), "preview", SLUG], catch_exceptions=False)
    assert result.exit_code == 0
    html_path = tmp_path / "rendered" / f"{SLUG}.html"
    assert result.output.splitlines() == [str(html_path), str(html_path.with_suffix(".txt"))]
    assert opened == []  # no display here: nothing to open, the path is printed
    return html_path


def test_preview_writes_html_and_text(written):
    html = written.read_text(encoding="utf-8")
    assert "De overheid als geheugen" in html and "Beste Voorbeeldlezer," in html
    assert "Reageer op dit thema" in written.with_suffix(".txt").read_text(encoding="utf-8")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_preview_reads_on_a_phone_and_in_dark_mode(written):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.goto(written.as_uri())
            # one column, nothing wider than the phone
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            lefts = page.evaluate("[...document.querySelectorAll('h2')].map(e => Math.round(e.getBoundingClientRect().left))")
            assert len(set(lefts)) == 1 and lefts[0] < 40
            light = page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
            page.emulate_media(color_scheme="dark")
            dark = page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
            ink = page.evaluate("getComputedStyle(document.querySelector('.md-p')).color")
            assert light == "rgb(255, 255, 255)"
            assert dark == "rgb(28, 31, 35)" and ink == "rgb(233, 230, 225)"
        finally:
            browser.close()
