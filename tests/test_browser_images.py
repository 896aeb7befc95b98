"""The sample issue with its cover and figure in Debian's chromium, at 375 and 1280 px, with images
shown and blocked: the mail as a reader gets it (hosted and embedded) and the public web version.
Images scale into the layout and keep their box and alt text when blocked; no sideways scrolling.
Set IMAGE_SCREENSHOTS=<folder> to keep the screenshots."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from conftest import PROJECT_ROOT, write_config
from mailer.config import load_config
from mailer.localservers import LocalSmtpServer
from mailer.runtime import Runtime
from mailer.send.sender import send_newsletter
from mailer.web import create_app
from mailer.web.server import ServerThread
from subscribers import store

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SLUG = "2026-11-samen-verder"
WIDTHS = (375, 1280)
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}

# Every <img>: its drawn box, whether the file loaded, and the page's width against the viewport's.
MEASURE = """() => ({
  images: [...document.images].map(i => ({alt: i.alt, loaded: i.complete && i.naturalWidth > 0,
                                          w: i.getBoundingClientRect().width, h: i.getBoundingClientRect().height,
                                          attrW: +i.getAttribute('width'), attrH: +i.getAttribute('height')})),
  scroll: document.documentElement.scrollWidth, view: window.innerWidth,
  title: !!document.querySelector('h1') && document.querySelector('h1').getBoundingClientRect().height > 0,
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    os.environ.setdefault("MAILER_SECRET_KEY", "images-test-key")
    tmp = tmp_path_factory.mktemp("images")
    folder = tmp / "newsletters"
    shutil.copytree(PROJECT_ROOT / "newsletters", folder)
    with LocalSmtpServer() as smtp:
        cfg_path = write_config(tmp, smtp.port, content={"newsletters_dir": str(folder)},
                                media={"delivery": "hosted", "cache_dir": str(tmp / "cache")})
        rt = Runtime(load_config(cfg_path))
        app = create_app(rt)
        with ServerThread(app) as srv:
            rt.close()
            rt = Runtime(load_config(write_config(tmp, smtp.port, content={"newsletters_dir": str(folder)},
                                                  web={"base_url": srv.url},
                                                  media={"delivery": "hosted", "cache_dir": str(tmp / "cache")})))
            app.extensions["mailer_runtime"] = rt
            store.add(rt.db, "lezer@example.org", "Lezer", status="active", source="test", method="import")
            send_newsletter(rt, SLUG)
            msg = email.message_from_bytes(smtp.messages[0].data, policy=email.policy.default)
            hosted = tmp / "hosted.html"
            hosted.write_text(msg.get_body(("html",)).get_content(), encoding="utf-8")
            yield {"url": srv.url, "hosted": hosted, "tmp": tmp}
        rt.close()


@pytest.fixture(scope="module")
def browser(site):
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _look(browser, url: str, width: int, blocked: bool, name: str) -> dict:
    ctx = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    if blocked:   # a mail program that does not load images
        ctx.route("**/media/*", lambda route: route.abort())
    page = ctx.new_page()
    try:
        page.goto(url)
        page.wait_for_selector("h1")
        page.wait_for_load_state("load")
        shots = os.environ.get("IMAGE_SCREENSHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{name}-{width}{'-blocked' if blocked else ''}.png"))
        seen = page.evaluate(MEASURE)
        axe = Axe().run(page, options=WCAG_21_AA)
        assert axe.violations_count == 0, axe.generate_report()
        return seen
    finally:
        ctx.close()


@pytest.mark.parametrize("blocked", [False, True], ids=["images-on", "images-blocked"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("where", ["mail", "web-version"])
def test_images_fit_the_layout_and_blocked_ones_keep_their_box(site, browser, where, width, blocked):
    url = site["hosted"].as_uri() if where == "mail" else f"{site['url']}/archief/{SLUG}"
    seen = _look(browser, url, width, blocked, where)
    images = seen["images"]
    assert len(images) == 2 and all(i["alt"] for i in images)
    assert seen["scroll"] <= seen["view"], "the page scrolls sideways"
    assert seen["title"]
    for img in images:
        assert img["loaded"] is (not blocked)
        assert 0 < img["w"] <= min(img["attrW"], width)
        if not blocked:   # drawn at the file's proportions
            assert abs(img["h"] - img["w"] * img["attrH"] / img["attrW"]) <= 2
        else:             # the box stays: the reader sees where a picture belongs and its alt text
            assert img["h"] >= 20
    cover = images[0]
    assert cover["w"] == min(600, width)
