"""The team inbox in a real browser (Debian's chromium via Playwright): log in, filter, open,
mark done, re-file, search, export, keyboard shortcuts, and script injection kept inert."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from mailer import triage
from mailer.config import load_config
from mailer.runtime import Runtime
from mailer.stores import newsletters
from mailer.web import auth, create_app
from support.web_sample import SampleReaction, add_newsletter, insert_reaction
from mailer.web.server import ServerThread
from conftest import write_config
from support.browser import log_in, need_chromium

pytestmark = pytest.mark.browser

PASSWORD = "browser-test-password"
# Each payload would set window.__xss or open a dialog if it ever ran.
XSS = ('<script>window.__xss=1;alert("s")</script><img src=x onerror="window.__xss=2;alert(1)">'
       '<svg onload="window.__xss=3">')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    need_chromium()
    os.environ.setdefault("MAILER_SECRET_KEY", "browser-test-key")
    tmp = tmp_path_factory.mktemp("team-browser")
    rt = Runtime(load_config(write_config(tmp)))
    auth.create_user(rt.db, "anna", PASSWORD)
    nl = add_newsletter(rt.db)
    makers = add_newsletter(rt.db, slug="2027-01-de-nieuwe-makers", title="De nieuwe makers")
    for sent in (nl, makers):  # issues readers received: offered for re-filing
        newsletters.set_status(rt.db, sent.id, "sent")
    ids = {}
    for i in range(6):
        ids[f"r{i}"] = insert_reaction(rt.db, SampleReaction(
            subject=f"Re: Samen verder ({i})", from_name=f"Lezer {i}", from_address=f"lezer{i}@example.org",
            reply_text=f"Gewone reactie nummer {i} over samenwerking.", newsletter_id=nl.id,
            theme_slug="groeipijn" if i % 2 else "kracht-van-het-collectief",
            received_at=f"2026-11-2{i}T10:00:00+00:00"))
    ids["coop"] = insert_reaction(rt.db, SampleReaction(
        subject="Over de coöperatie", from_name="Anna de Vries", from_address="anna@example.org",
        reply_text="De coöperatie in onze wijk werkt al tien jaar.\nGroet, Anna", newsletter_id=nl.id,
        theme_slug="kracht-van-het-collectief", received_at="2026-11-19T10:00:00+00:00"))
    ids["ooo"] = insert_reaction(rt.db, SampleReaction(
        kind="auto_reply", subject="Afwezig: Samen verder", reply_text="Ik ben afwezig.", newsletter_id=nl.id,
        received_at="2026-11-29T09:00:00+00:00"))
    ids["xss"] = insert_reaction(rt.db, SampleReaction(
        subject="Re: " + XSS, from_name="Eve " + XSS, from_address="eve@example.org",
        reply_text="Tekst " + XSS, html_body="<p>HTML " + XSS + "</p>", newsletter_id=nl.id,
        received_at="2026-11-30T09:00:00+00:00",
        attachments=[(XSS + ".html", "text/html", b"<script>window.__xss=9</script>")]))
    ids["xss_html"] = insert_reaction(rt.db, SampleReaction(
        subject="HTML only", reply_text="", full_text="", newsletter_id=nl.id,
        html_body='<div onmouseover="window.__xss=4">Alleen <b>HTML</b>' + XSS +
                  '<img src="https://tracker.example/p.gif"><a href="javascript:window.__xss=5">x</a></div>',
        received_at="2026-11-30T08:00:00+00:00"))
    srv = ServerThread(create_app(rt)).start()
    yield SimpleNamespace(url=srv.url, rt=rt, ids=ids, nl=nl)
    srv.stop()
    rt.close()


@pytest.fixture
def page(browser, site):
    pg = log_in(browser, site.url, "anna", PASSWORD, start="/team/", accept_downloads=True)
    assert re.search(r"/team/$", pg.url)  # back where it started
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    pg.context.close()


def status_of(site, rid: int) -> str:
    return triage.get_reaction(site.rt.db, rid).summary.status


def test_filter_open_mark_done_and_refile(page, site):
    assert page.locator(f'li.row[data-id="{site.ids["ooo"]}"]').count() == 0  # auto-replies kept out
    page.click('[data-facet=kind] a[data-value="auto_reply"]')
    page.wait_for_selector(f'li.row[data-id="{site.ids["ooo"]}"]')
    assert page.locator("li.row").count() == 1
    page.click('[data-facet=kind] a:has-text("Alleen reacties")')
    page.click('[data-facet=theme] a[data-value="kracht-van-het-collectief"]')
    page.wait_for_url(re.compile("theme=kracht-van-het-collectief"))
    assert page.locator(f'li.row[data-id="{site.ids["coop"]}"]').count() == 1
    assert page.locator('li.row[data-id="%d"]' % site.ids["r1"]).count() == 0  # groeipijn filtered out
    page.click(f'li.row[data-id="{site.ids["coop"]}"] a.open')
    page.wait_for_selector("#reply-text")
    assert "coöperatie in onze wijk" in page.inner_text("#reply-text")
    page.click('#status-form button[value="afgehandeld"]')  # done: on to the next one, with undo
    page.wait_for_selector("#toast")
    assert f"/team/reactions/{site.ids['coop']}" not in page.url
    assert status_of(site, site.ids["coop"]) == "afgehandeld"
    page.goto(site.url + f"/team/reactions/{site.ids['coop']}")
    page.wait_for_selector("#status-badge:has-text('Afgehandeld')")
    page.select_option("#refile-form select", "2027-01-de-nieuwe-makers|")
    page.click("#refile-form button")
    page.wait_for_selector("#filed:has-text('De nieuwe makers')")
    assert page.inner_text("#attribution") == "met de hand"
    d = triage.get_reaction(site.rt.db, site.ids["coop"])
    assert d.summary.newsletter_slug == "2027-01-de-nieuwe-makers" and d.attribution == "manual"
    assert [e.actor for e in d.events] == ["anna", "anna"]
    assert page.dialogs == []


def test_search_with_accent_folding_and_export(page, site, tmp_path):
    page.goto(site.url + "/team/?status=all")  # the first test marked it done: search every status
    page.fill("#search", "cooperatie")
    page.press("#search", "Enter")
    page.wait_for_url(re.compile(r"q=cooperatie"))
    rows = page.locator("li.row")
    assert rows.count() == 1 and "coöperatie" in rows.first.inner_text()
    with page.expect_download() as info:
        page.click("#export")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["id", "sent_date", "received_at"] and len(rows) == 2
    assert rows[1][0] == str(site.ids["coop"]) and "coöperatie" in rows[1][-1]
    with page.expect_download() as eml:
        page.goto(site.url + f"/team/reactions/{site.ids['coop']}")
        page.click("#eml-link")
    assert eml.value.suggested_filename == f"reactie-{site.ids['coop']}.eml"


def test_keyboard_j_k_open_and_e(page, site):
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    cursor = page.locator("li.row.cursor")
    assert cursor.count() == 1
    first, second = (page.locator("li.row").nth(i).get_attribute("data-id") for i in (0, 1))
    assert cursor.get_attribute("data-id") == second
    page.keyboard.press("o")
    page.wait_for_url(re.compile(rf"/team/reactions/{second}$"))
    older = page.get_attribute("#next-link", "href")
    page.keyboard.press("e")  # done, and on to the next one
    page.wait_for_url(re.compile(re.escape(older) + "$"))
    assert status_of(site, int(second)) == "afgehandeld"
    page.keyboard.press("k")  # the done one left the queue: the newer one in it is the first row
    page.wait_for_url(re.compile(rf"/team/reactions/{first}$"))
    page.keyboard.press("?")
    assert page.is_visible("#help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#help")
    page.keyboard.press("u")
    page.wait_for_url(re.compile(r"/team/$"))


def _assert_inert(page) -> None:
    assert page.dialogs == []
    assert page.evaluate("window.__xss === undefined")
    injected = page.evaluate(
        "document.querySelectorAll('script:not([src]), img, svg[onload], [onerror], [onmouseover], "
        "[onload], a[href^=\"javascript:\"]').length")
    assert injected == 0


def test_script_injection_stays_inert(page, site):
    page.goto(site.url + "/team/?kind=all")
    assert XSS in page.inner_text(f'li.row[data-id="{site.ids["xss"]}"]')  # shown as text
    _assert_inert(page)
    page.goto(site.url + f"/team/reactions/{site.ids['xss']}")
    assert page.inner_text("#subject") == "Re: " + XSS
    assert XSS in page.inner_text("#from-name")
    assert XSS in page.inner_text("#reply-text")
    assert XSS + ".html" in page.inner_text("a.attachment")
    page.click("#html-version summary") if page.locator("#html-version").count() else None
    page.hover("#reply-text")
    _assert_inert(page)
    page.goto(site.url + f"/team/reactions/{site.ids['xss_html']}")
    assert "Alleen HTML" in page.inner_text("#reply-html")
    page.hover("#reply-html")
    page.click("#reply-html a") if page.locator("#reply-html a").count() else None
    _assert_inert(page)
    page.goto(site.url + f"/team/reactions/{site.ids['xss']}/raw")
    assert "<script>" in page.inner_text("body")  # the raw message, as plain text
    _assert_inert(page)


def test_screenshots_phone_and_desktop(page, site, tmp_path):
    paths: list[Path] = []
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in (("list", "/team/"), ("reaction", f"/team/reactions/{site.ids['r1']}"),
                          ("overview", f"/team/newsletters/{site.nl.slug}")):
            page.goto(site.url + url)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} scrolls sideways at {width} px"
            shot = tmp_path / f"team-{name}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            paths.append(shot)
    for shot in paths:
        assert shot.stat().st_size > 5000
        print("screenshot:", shot)
    assert page.dialogs == []
