"""The team inbox as a queue in a real browser (Debian's chromium via Playwright), at 1280 and
375 px: done moves on and undo restores, the list keeps its place, re-filing needs a target,
search stays inside the filters, nothing scrolls sideways on a phone, and axe finds no WCAG 2.1
A/AA violations. Screenshots go to $QUEUE_SHOTS (or the test's temporary folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from mailer import triage
from mailer.config import load_config
from mailer.localservers import LocalSmtpServer
from mailer.runtime import Runtime
from mailer.stores import newsletters
from mailer.web import auth, create_app
from mailer.web.server import ServerThread
from subscribers import store as subs
from support.web_sample import SampleReaction, add_newsletter, insert_reaction
from conftest import write_config
from support.browser import log_in, need_chromium

pytestmark = pytest.mark.browser

PASSWORD = "queue-test-password"
THEMES = ("groeipijn", "kracht-van-het-collectief", "de-nieuwe-makers")
NAMES = ("Anna de Vries", "Bram Jansen", "Chantal Bakker", "Daan Visser", "Eva Smit", "Fatima el Amrani")
# A letter as Outlook sends it: hard-wrapped at 72 columns, a list, a quote and a greeting.
LETTER = """Beste redactie,

Dank voor het stuk over {topic}. Wij werken al tien jaar samen met de
gemeente en het gaat niet altijd vanzelf. Wat ik mis in het stuk is de
rol van de ambtenaar die tussen twee werelden staat en elke dag moet
kiezen tussen de regels en de mensen in de wijk. Samenwerking vraagt tijd.

Drie punten:
- subsidie is te kort
- de regels veranderen elk jaar
- niemand belt terug

> Wat betekent groeipijn voor de coöperatie van morgen?

Groet,
{name}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    need_chromium()
    os.environ.setdefault("MAILER_SECRET_KEY", "queue-test-key")
    tmp = tmp_path_factory.mktemp("queue-browser")
    relay = LocalSmtpServer().start()
    rt = Runtime(load_config(write_config(tmp, relay.port)))
    auth.create_user(rt.db, "anna", PASSWORD)
    nl = add_newsletter(rt.db)
    makers = add_newsletter(rt.db, slug="2027-01-de-nieuwe-makers", title="De nieuwe makers")
    add_newsletter(rt.db, slug="2027-03-concept", title="Concept dat nog niet weg is")
    for sent in (nl, makers):
        newsletters.set_status(rt.db, sent.id, "sent")
    ids = []
    for i in range(30):
        name = NAMES[i % len(NAMES)]
        ids.append(insert_reaction(rt.db, SampleReaction(
            subject=f"Re: Samen verder", from_name=name, from_address=f"lezer{i}@example.org",
            reply_text=LETTER.format(topic=("de energiecoöperatie" if i % 3 == 0 else "de wijkraad"), name=name),
            newsletter_id=nl.id, theme_slug=THEMES[i % 3],
            attribution="latest-issue" if i % 7 == 0 else "token", confidence=0.4 if i % 7 == 0 else 1.0,
            received_at=f"2026-11-{1 + i // 2:02d}T{8 + i % 2 * 5:02d}:00:00+00:00")))
    joke = subs.add(rt.db, "joke@example.org", "Joke Smit", themes=("groeipijn",))
    person = insert_reaction(rt.db, SampleReaction(
        from_name="Joke Smit", from_address="joke@example.org", subscriber_id=joke.id, newsletter_id=nl.id,
        reply_text="Graag afmelden, ik lees het toch niet meer.\nGroet, Joke", received_at="2026-10-01T09:00:00+00:00"))
    triage.answer(rt.config, rt.db, person, "Jammer! We melden je af.", "anna")
    srv = ServerThread(create_app(rt)).start()
    shots = Path(os.environ.get("QUEUE_SHOTS") or tmp / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    yield SimpleNamespace(url=srv.url, rt=rt, ids=ids, nl=nl, shots=shots, person=person)
    srv.stop()
    rt.close()
    relay.stop()


def _login(browser, site, width: int, **options):
    pg = log_in(browser, site.url, "anna", PASSWORD, width=width, height=800 if width < 800 else 900,
                start="/team/", **options)
    assert re.search(r"/team/$", pg.url)
    return pg.context, pg


@pytest.fixture
def page(browser, site):
    ctx, pg = _login(browser, site, 1280)
    yield pg
    ctx.close()


@pytest.fixture
def phone(browser, site):
    ctx, pg = _login(browser, site, 375)
    yield pg
    ctx.close()


def status_of(site, rid: int) -> str:
    return triage.get_reaction(site.rt.db, rid).summary.status


def row_ids(pg) -> list[int]:
    return [int(i) for i in pg.eval_on_selector_all("li.row", "rows => rows.map(r => r.dataset.id)")]


def test_done_moves_to_the_next_and_undo_restores(page, site):
    first, second = row_ids(page)[:2]
    page.click(f'li.row[data-id="{first}"] a.open')
    page.wait_for_selector("#reply-text")
    page.click("#done-button")
    page.wait_for_url(re.compile(rf"/team/reactions/{second}$"))
    assert status_of(site, first) == "afgehandeld"
    assert "gemarkeerd als afgehandeld" in page.inner_text("#toast")
    page.click("#undo-button")
    page.wait_for_url(re.compile(rf"/team/reactions/{first}$"))
    assert status_of(site, first) == "nieuw"
    assert "ongedaan gemaakt" in page.inner_text("#history")


def test_list_keys_done_keeps_the_place_and_z_undoes(page, site):
    before = row_ids(page)
    page.keyboard.press("j")
    page.keyboard.press("e")
    page.wait_for_selector("#toast")
    after = row_ids(page)
    assert before[1] not in after and after[:2] == [before[0], before[2]]  # left the queue
    assert page.get_attribute("li.row.cursor", "data-id") == str(before[2])  # the next one, not the top
    page.keyboard.press("z")
    # wait_for_selector, not wait_for_function: the page's CSP forbids the eval the latter polls with.
    page.wait_for_selector(f'li.row[data-id="{before[1]}"]')
    assert status_of(site, before[1]) == "nieuw"


def test_a_rows_done_button_clears_the_queue_on_a_phone_with_undo_and_keys(phone, site):
    before = row_ids(phone)
    target = before[1]
    assert phone.is_visible(f'li.row[data-id="{target}"] .row-done')
    with phone.expect_navigation():
        phone.click(f'li.row[data-id="{target}"] .row-done')
    assert status_of(site, target) == "afgehandeld"
    assert "gemarkeerd als afgehandeld" in phone.inner_text("#toast")
    after = row_ids(phone)
    assert target not in after and after[:2] == [before[0], before[2]]
    assert phone.get_attribute("li.row.cursor", "data-id") == str(before[2])  # the place is kept
    with phone.expect_navigation():
        phone.click("#undo-button")
    assert status_of(site, target) == "nieuw" and target in row_ids(phone)
    # By keyboard: Tab to a row's button, Enter presses it; z undoes.
    phone.focus(f'li.row[data-id="{before[0]}"] .row-archive')
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    assert status_of(site, before[0]) == "gearchiveerd" and before[0] not in row_ids(phone)
    with phone.expect_navigation():
        phone.keyboard.press("z")
    assert status_of(site, before[0]) == "nieuw"


def test_refile_without_a_chosen_target_changes_nothing(page, site):
    rid = site.ids[4]
    page.goto(site.url + f"/team/reactions/{rid}")
    options = page.eval_on_selector_all("#refile-target option", "os => os.map(o => o.value)")
    assert options[0] == "" and not any(o.startswith("2027-03-concept") for o in options)  # no unsent drafts
    assert page.eval_on_selector("#refile-target", "s => s.value") == ""
    page.click("#refile-form button")
    assert page.eval_on_selector("#refile-target", "s => !s.validity.valid")  # the browser asks for a target
    page.goto(site.url + f"/team/reactions/{rid}")
    assert [e for e in triage.events(site.rt.db, rid) if e.action == "refiled"] == []
    assert triage.get_reaction(site.rt.db, rid).summary.theme_slug == THEMES[4 % 3]
    page.click("#show-unsent")
    page.wait_for_selector('#refile-target option[value="2027-03-concept|"]', state="attached")


def test_search_within_a_theme_filter_stays_in_that_theme(page, site):
    page.goto(site.url + "/team/?theme=groeipijn")
    page.fill("#search", "energiecooperatie")
    page.press("#search", "Enter")
    page.wait_for_url(re.compile(r"q=energiecooperatie"))
    assert "theme=groeipijn" in page.url
    labels = page.eval_on_selector_all("li.row .label.theme", "ls => ls.map(l => l.textContent)")
    assert labels and set(labels) == {"Groeipijn"}
    marks = page.eval_on_selector_all("li.row .passage mark", "ms => ms.map(m => m.textContent)")
    assert marks and set(marks) == {"energiecoöperatie"}
    expected = [r for i, r in enumerate(site.ids) if THEMES[i % 3] == "groeipijn" and i % 3 == 0]
    assert sorted(row_ids(page)) == sorted(r for r in expected if status_of(site, r) in triage.OPEN_STATUSES)


def test_letters_read_as_paragraphs_with_the_original_one_click_away(page, site):
    page.goto(site.url + f"/team/reactions/{site.ids[1]}")
    paras = page.eval_on_selector_all("#reply-text > p:not(.li)", "ps => ps.map(p => p.innerText)")
    assert any(p.startswith("Dank voor het stuk") and p.endswith("Samenwerking vraagt tijd.") for p in paras)
    assert page.locator("#reply-text p.li").count() == 3 and page.locator("#reply-text blockquote").count() == 1
    assert not page.is_visible("#original pre")
    page.click("#original summary")
    assert "samen met de\ngemeente" in page.inner_text("#original pre")


def test_phone_has_no_sideways_scroll_a_filter_drawer_and_actions_in_reach(phone, site):
    for name, url in (("list", "/team/"), ("reaction", f"/team/reactions/{site.ids[2]}"),
                      ("search", "/team/?q=samenwerking&status=all"), ("all", "/team/?status=all&kind=all"),
                      ("newsletters", "/team/newsletters"), ("person", f"/team/reactions/{site.person}"),
                      ("forget", f"/team/reactions/{site.person}/forget")):
        phone.goto(site.url + url)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{name} scrolls sideways at 375 px ({width})"
        phone.screenshot(path=str(site.shots / f"queue-{name}-375.png"), full_page=True)
        phone.screenshot(path=str(site.shots / f"queue-{name}-375-top.png"))
    phone.goto(site.url + "/team/")
    assert not phone.is_visible(".facets")  # filters wait in a drawer
    top = phone.eval_on_selector("li.row", "r => r.getBoundingClientRect().top")
    assert top < 400  # the queue starts near the top, not below the filters
    assert phone.is_visible("li.row time")  # dates in rows
    phone.click("#filters-drawer summary")
    assert phone.is_visible('[data-facet="theme"]')
    phone.goto(site.url + f"/team/reactions/{site.ids[2]}")
    box = phone.locator("#done-button").bounding_box()
    assert box and box["y"] + box["height"] <= 800  # reachable without scrolling past the letter
    letter = phone.locator("#reply-text").bounding_box()
    assert letter and box["y"] < letter["y"]


def test_desktop_screenshots(page, site):
    for name, url in (("list", "/team/"), ("reaction", f"/team/reactions/{site.ids[2]}"),
                      ("person", f"/team/reactions/{site.person}"),
                      ("search", "/team/?q=samenwerking&theme=groeipijn")):
        page.goto(site.url + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        shot = site.shots / f"queue-{name}-1280.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 5000


@pytest.mark.parametrize("width", [1280, 375])
def test_queue_pages_pass_axe_wcag21_aa(browser, site, width):
    axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
    ctx, pg = _login(browser, site, width, bypass_csp=True)  # our CSP blocks axe's injected script
    try:
        rid = site.ids[5]
        triage.set_status(site.rt.db, [rid], "in_behandeling", "anna")
        for url in ("/team/", "/team/?q=energiecooperatie&theme=groeipijn", f"/team/reactions/{rid}",
                    "/team/?status=all&uncertain=1", f"/team/reactions/{site.person}",
                    f"/team/reactions/{site.person}/forget", "/team/?status=all&kind=all&order=oldest"):
            pg.goto(site.url + url)
            results = axe_sync.Axe().run(pg, options={"runOnly": {"type": "tag", "values": [
                "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
            assert results.violations_count == 0, f"{url} at {width}px\n" + results.generate_report()
        # The toast after "done" too.
        pg.goto(site.url + f"/team/reactions/{rid}")
        pg.click("#done-button")
        pg.wait_for_selector("#toast")
        results = axe_sync.Axe().run(pg, options={"runOnly": {"type": "tag", "values": [
            "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
        assert results.violations_count == 0, results.generate_report()
    finally:
        ctx.close()


def test_answer_and_unsubscribe_from_the_reaction_page(page, site):
    page.goto(site.url + f"/team/reactions/{site.person}")
    assert "Jammer! We melden je af." in page.inner_text("#conversation")
    assert page.is_visible("#wants-off #unsubscribe-form")  # offered before the letter
    page.click("#answer summary")
    page.fill("#answer-body", "Je bent afgemeld. Dank voor het lezen!")
    page.click("#answer-send")
    page.wait_for_selector("#conversation .turn.team >> nth=1")
    assert "Antwoord verstuurd aan joke@example.org." in page.inner_text(".flashes")
    page.click("#wants-off button[type=submit]")
    page.wait_for_selector("#subscriber-state:has-text('afgemeld')")
    assert subs.find_by_email(site.rt.db, "joke@example.org").status == "unsubscribed"
