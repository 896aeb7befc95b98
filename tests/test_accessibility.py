"""Every page a person can reach passes axe-core's WCAG 2.1 A and AA rules, on a phone (375 px) and
a desktop (1280 px), and in dark mode where it has dark styles: the public pages, the team's pages,
and the newsletter each sample issue renders to.

Pages are listed in PAGES by the Flask endpoint that answers them; test_every_page_has_an_axe_test
fails when the app gains a GET route that is neither in PAGES nor in NOT_PAGES.
Set A11Y_SCREENSHOTS=<folder> to keep a full-page screenshot of every page checked.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext
from playwright.sync_api import Page as BrowserPage
from werkzeug.exceptions import NotFound

from conftest import PROJECT_ROOT, write_config
from mailer import links, quotes, triage
from mailer.stores import newsletters
from mailer.cli.compose import render_example
from mailer.compose import find_newsletter, list_newsletters
from mailer.config import load_config
from mailer.localservers import LocalSmtpServer
from mailer.runtime import Runtime
from mailer.send.sender import send_newsletter
from mailer.web import auth, create_app
from mailer.web.server import ServerThread
from subscribers import optin, store
from support import pictures
from support.browser import log_in, need_chromium
from support.web_sample import SampleReaction, insert_reaction

pytestmark = pytest.mark.browser

WIDTHS = (375, 1280)
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}  # details of violations only: smaller results
PASSWORD = "a11y-test-password"
ISSUES = [nl.slug for nl in list_newsletters(PROJECT_ROOT / "newsletters", ZoneInfo("Europe/Amsterdam"))]
SENT, DRAFT = ISSUES[0], ISSUES[-1]   # the fixture sends the first sample issue; the last stays a draft
AXE = Axe()                        # injects axe-core into the page, then runs it
AXE_AGAIN = Axe(axe_script="0")    # runs the axe-core already in the page (the second width)


Visit = Callable[[BrowserPage, SimpleNamespace], None]


@dataclass(frozen=True)
class Page:
    """One state of one page: ``visit`` opens it and waits until it shows."""

    name: str
    endpoint: str | None          # the Flask endpoint that answers; None for "no such page" (404)
    visit: Visit
    team: bool = False            # opened by a logged-in team member
    method: str = "GET"           # POST: the page that answers a form
    iframes: bool = True          # False where axe cannot reach into a sandboxed frame


def _submit(page: BrowserPage, selector: str, ready: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_selector(ready)


def _signup_error(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + "/aanmelden")
    page.fill("#email", "geen-adres")
    _submit(page, "form button[type=submit]", "#form-error")


def _signup_sent(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + "/aanmelden")
    page.fill("#name", "Noor van der Linden")
    page.fill("#email", site.new_address())
    page.locator("input[name=themes]").first.check()
    _submit(page, "form button[type=submit]", "h1:has-text('Kijk in uw mail')")


def _pending_confirm_path(site: SimpleNamespace) -> str:
    outcome = optin.signup(site.rt.db, site.rt.config, site.rt.key, site.new_address(), "Noor",
                           ["groeipijn"], send=False)
    return urlsplit(links.confirm_url(site.rt.config, site.rt.key, outcome.subscriber_id)).path


def _confirm(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + _pending_confirm_path(site))
    page.wait_for_selector("form button[type=submit]")


def _confirmed(page: BrowserPage, site: SimpleNamespace) -> None:
    _confirm(page, site)
    _submit(page, "form button[type=submit]", "h1:has-text('U bent aangemeld')")


def _subscriber_path(site: SimpleNamespace, make_url: Callable[..., str]) -> str:
    sub = store.add(site.rt.db, site.new_address(), "Lezer", themes=("groeipijn",))
    return urlsplit(make_url(site.rt.config, site.rt.key, sub.id)).path


def _unsubscribe(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + _subscriber_path(site, links.unsubscribe_url))
    page.wait_for_selector("form button[type=submit]")


def _unsubscribed(page: BrowserPage, site: SimpleNamespace) -> None:
    _unsubscribe(page, site)
    _submit(page, "form button[type=submit]", "h1:has-text('U bent afgemeld')")


def _preferences(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + _subscriber_path(site, links.preferences_url))
    page.wait_for_selector("#name")


def _preferences_saved(page: BrowserPage, site: SimpleNamespace) -> None:
    _preferences(page, site)
    page.fill("#name", "Lezer met een nieuwe naam")
    _submit(page, "form:not([action]) button[type=submit]", "[role=status]")


def _login_error(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + "/team/login")
    page.fill("input[name=name]", "anna")
    page.fill("input[name=password]", "not-the-password")
    _submit(page, "form.login button[type=submit]", "form.login [role=alert]")


def _desk_new_error(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + "/team/desk/new")
    _submit(page, "#new-form button[type=submit]", ".has-error [aria-invalid=true]")


def _desk_edit_error(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + f"/team/desk/{DRAFT}")
    page.fill("#f-title", "")
    _submit(page, "#save", "#f-title[aria-invalid=true]")


def _desk_upload(page: BrowserPage, site: SimpleNamespace, data: bytes, ready: str) -> None:
    """The editor after its script sent the upload form (no reload): ``ready`` is the answer shown."""
    page.goto(site.url + f"/team/desk/{DRAFT}")
    page.set_input_files("#f-image", files=[{"name": "beeld.png", "mimeType": "image/png", "buffer": data}])
    page.fill("#f-alt", "Een beschrijving")
    page.click("form.upload button[type=submit]")
    page.wait_for_selector(ready)


def _desk_upload_error(page: BrowserPage, site: SimpleNamespace) -> None:
    _desk_upload(page, site, b"geen beeld", "#upload-status.flash.error")


def _desk_upload_done(page: BrowserPage, site: SimpleNamespace) -> None:
    _desk_upload(page, site, pictures.chart_png(240, 120), "#upload-status.flash.ok")


def _desk_source_error(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + f"/team/desk/{DRAFT}?mode=source")
    page.fill("#f-source", '+++\ntitle = "niet afgesloten\n')
    _submit(page, "#save", "#f-source[aria-invalid=true]")


def _open(path: str | Callable[[SimpleNamespace], str], ready: str, status: int = 200) -> Visit:
    """Go to ``path`` (or ``path(site)``), expect HTTP ``status``, wait for ``ready``."""
    def visit(page: BrowserPage, site: SimpleNamespace) -> None:
        response = page.goto(site.url + (path(site) if callable(path) else path))
        assert response is not None and response.status == status, (path, response and response.status)
        page.wait_for_selector(ready)
    return visit


def _quote_path(site: SimpleNamespace, choice: str = "", now: float | None = None) -> str:
    """The reader's page of the fixture's request to quote (``choice``: naam, anoniem, nee)."""
    token = links.quote_token(site.rt.key, site.quote_request, now=now)
    return urlsplit(links.quote_url(site.rt.config, token, choice)).path


def _quote_answered(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + _quote_path(site, "naam"))
    page.fill("#name", "Lezer 0")
    _submit(page, "#confirm", "#change")


def _quote_name_missing(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + _quote_path(site, "naam"))
    page.fill("#name", " ")
    page.evaluate("document.getElementById('name').removeAttribute('required')")
    _submit(page, "#confirm", "#name[aria-invalid=true]")


def _account_new_token(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + "/team/account")
    page.fill("#token-label", "dashboard")
    _submit(page, "form.stack button[type=submit]", "#new-token")


def _help_open(page: BrowserPage, site: SimpleNamespace) -> None:
    page.goto(site.url + "/team/")
    page.wait_for_selector("li.row")
    page.keyboard.press("?")
    page.wait_for_selector("#help", state="visible")


PAGES = [
    # Public pages (readers)
    Page("signup", "public.signup_form", _open("/aanmelden", "form button[type=submit]")),
    Page("signup-english", "public.signup_form", _open("/aanmelden?lang=en", "html[lang=en]")),
    Page("signup-error", "public.signup_post", _signup_error, method="POST"),
    Page("signup-sent", "public.signup_post", _signup_sent, method="POST"),
    Page("confirm", "public.confirm_page", _confirm),
    Page("confirmed", "public.confirm_post", _confirmed, method="POST"),
    Page("unsubscribe", "public.unsubscribe_page", _unsubscribe),
    Page("unsubscribed", "public.unsubscribe_post", _unsubscribed, method="POST"),
    Page("preferences", "public.preferences", _preferences),
    Page("preferences-saved", "public.preferences", _preferences_saved, method="POST"),
    Page("broken-link-400", "public.unsubscribe_page", _open("/afmelden/kapotte-link", "h1", 400)),
    Page("quote", "quote_links.overview", _open(_quote_path, "#passage")),
    Page("quote-english", "quote_links.overview", _open(lambda s: _quote_path(s) + "?lang=en", "html[lang=en]")),
    Page("quote-confirm", "quote_links.choose", _open(lambda s: _quote_path(s, "naam"), "#confirm")),
    Page("quote-answered", "quote_links.record", _quote_answered, method="POST"),
    Page("quote-name-missing", "quote_links.record", _quote_name_missing, method="POST"),
    Page("quote-expired-410", "quote_links.overview",
         _open(lambda s: _quote_path(s, now=0.0), "h1", 410)),
    Page("not-found-404", None, _open("/bestaat-niet", "h1", 404)),
    # Team pages
    Page("login", "team.login", _open("/team/login", "form.login")),
    Page("login-error", "team.login", _login_error, method="POST"),
    Page("reactions", "team.reactions", _open("/team/", "li.row"), team=True),
    Page("reactions-search-empty", "team.reactions", _open("/team/?q=zzzonbekend", "p.empty"), team=True),
    Page("reactions-help", "team.reactions", _help_open, team=True),
    Page("reaction", "team.reaction", _open(lambda s: f"/team/reactions/{s.ids['text']}", "#reply-text"),
         team=True),
    Page("reaction-html", "team.reaction", _open(lambda s: f"/team/reactions/{s.ids['html']}", "#reply-html"),
         team=True),
    Page("reaction-bounce", "team.reaction",
         _open(lambda s: f"/team/reactions/{s.ids['bounce']}", "section.bounce"), team=True),
    Page("reaction-404", "team.reaction", _open("/team/reactions/999999", "h1", 404), team=True),
    Page("reaction-forget", "team.forget",
         _open(lambda s: f"/team/reactions/{s.ids['text']}/forget", "#forget-form"), team=True),
    Page("newsletters", "team.newsletters", _open("/team/newsletters", "table.newsletters"), team=True),
    Page("newsletter-404", "team.overview", _open("/team/newsletters/bestaat-niet", "h1", 404), team=True),
    Page("team-not-found-404", None, _open("/team/bestaat-niet", "h1", 404), team=True),
    Page("account", "team.account", _open("/team/account", "#token-label"), team=True),
    Page("account-new-token", "team.create_token", _account_new_token, team=True, method="POST"),
    Page("team-not-found-logged-out-404", None, _open("/team/bestaat-niet", "h1", 404)),
    # The CXO's desk; the editor's frames show the issue's HTML (team.desk_preview_frame).
    Page("desk", "team.desk", _open("/team/desk", "main h1"), team=True),
    Page("desk-new", "team.desk_new", _open("/team/desk/new", "#new-form"), team=True),
    Page("desk-new-error", "team.desk_new", _desk_new_error, team=True, method="POST"),
    Page("desk-edit", "team.desk_edit", _open(f"/team/desk/{DRAFT}", "#f-title"), team=True, iframes=False),
    Page("desk-edit-error", "team.desk_save", _desk_edit_error, team=True, method="POST", iframes=False),
    Page("desk-edit-source", "team.desk_edit", _open(f"/team/desk/{DRAFT}?mode=source", "#f-source"), team=True,
         iframes=False),
    Page("desk-edit-source-error", "team.desk_save", _desk_source_error, team=True, method="POST", iframes=False),
    Page("desk-upload-error", "team.desk_edit", _desk_upload_error, team=True, iframes=False),
    Page("desk-upload-done", "team.desk_edit", _desk_upload_done, team=True, iframes=False),
    Page("desk-edit-sent", "team.desk_edit", _open(f"/team/desk/{SENT}", "#editor"), team=True, iframes=False),
    Page("desk-send", "team.desk_send", _open(f"/team/desk/{DRAFT}/send", "main h1"), team=True),
    Page("desk-send-sent", "team.desk_send", _open(f"/team/desk/{SENT}/send", "main h1"), team=True),
    Page("desk-send-now", "team.desk_send_now", _open(f"/team/desk/{DRAFT}/send-now", "main h1"), team=True),
    Page("desk-not-found-404", "team.desk_edit", _open("/team/desk/bestaat-niet", "h1", 404), team=True),
    Page("desk-deliveries", "team.desk_deliveries", _open(f"/team/desk/{SENT}/deliveries", "#deliveries"), team=True),
    Page("desk-deliveries-filtered", "team.desk_deliveries",
         _open(f"/team/desk/{SENT}/deliveries?state=failed&q=nobody", "#no-match"), team=True),
    Page("desk-deliveries-draft", "team.desk_deliveries", _open(f"/team/desk/{DRAFT}/deliveries", "#no-deliveries"),
         team=True),
    # The public archive of sent issues
    Page("archive", "archive.index", _open("/archief", f"a[href$='/archief/{SENT}']")),
    Page("archive-issue", "archive.issue", _open(f"/archief/{SENT}", "h1")),
    Page("archive-missing-404", "archive.issue", _open(f"/archief/{DRAFT}", "h1", 404)),
]
for _slug in ISSUES:
    PAGES += [
        Page(f"overview-{_slug}", "team.overview", _open(f"/team/newsletters/{_slug}", "svg.chart"), team=True),
        # Its frames show the issue's HTML (team.preview_frame), checked in test_newsletter_html_meets_wcag_21_aa.
        Page(f"preview-{_slug}", "team.preview", _open(f"/team/newsletters/{_slug}/preview", "iframe"),
             team=True, iframes=False),
    ]

# GET routes that are no page a person reads; each needs a reason.
NOT_PAGES = {
    "static": "Flask's static files (none are linked)",
    "team.static": "the team's CSS and JavaScript",
    "team.export_csv": "a CSV download",
    "team.eml": "a .eml download",
    "team.attachment": "an attachment download (application/octet-stream)",
    "team.raw": "the raw message as text/plain, shown by the browser's own text viewer",
    # Same template and renderer as `mailer render`, with "#" for the reader's links.
    "team.preview_frame": "the issue's HTML, checked from `mailer render`'s output below",
    "team.desk_preview_frame": "the issue's HTML again, as the desk's editor previews it",
    "team.desk_state": "JSON for the send page's progress",
    "team.privacy_json": "a JSON download of what is held about one person",
    "team.desk_deliveries_csv": "a CSV download of the deliveries",
    "team.bundle": "a .docx or .md download of a theme's approved quotes",
    "api.index": "the JSON API (docs/api.md), for scripts",
    "api.reactions": "the JSON API: reactions",
    "api.reaction": "the JSON API: one reaction",
    "api.themes": "the JSON API: themes",
    "api.newsletters": "the JSON API: newsletters",
    "api.unknown": "the JSON API's 404 for unknown addresses",
    "media.image": "a prepared image file (JPEG or PNG) of an issue",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    need_chromium()
    os.environ.setdefault("MAILER_SECRET_KEY", "a11y-test-key")
    os.environ.setdefault("MAILER_IMAP_PASSWORD", "demopass")
    tmp = tmp_path_factory.mktemp("a11y")
    with LocalSmtpServer() as smtp:
        folder = tmp / "newsletters"   # the desk's own copy of the sample issues
        shutil.copytree(PROJECT_ROOT / "newsletters", folder)
        rt = Runtime(load_config(write_config(tmp, smtp.port, content={"newsletters_dir": str(folder)},
                                              web={"signup_limit": 0})))
        auth.create_user(rt.db, "anna", PASSWORD)
        auth.create_user(rt.db, "bram", PASSWORD)
        rows = {slug: newsletters.sync(rt.db, find_newsletter(rt.config.newsletters_dir, slug, rt.config.schedule.tz))
                for slug in ISSUES}
        for i in range(2):
            store.add(rt.db, f"lezer{i}@example.org", f"Lezer {i}", themes=("groeipijn",))
        send_newsletter(rt, SENT)   # the archive, and the desk's pages of a sent issue
        first = rows[SENT]
        ids = {}
        for i, theme in enumerate(("kracht-van-het-collectief", "groeipijn", None, "de-nieuwe-makers")):
            ids[f"r{i}"] = insert_reaction(rt.db, SampleReaction(
                subject=f"Re: {first.title} ({i})", from_name=f"Lezer {i}", from_address=f"lezer{i}@example.org",
                reply_text=f"Reactie nummer {i} over samenwerking tussen overheid en samenleving.",
                newsletter_id=first.id, theme_slug=theme, status=("nieuw", "afgehandeld")[i % 2],
                received_at=f"2026-11-2{i}T10:00:00+00:00"))
        ids["text"] = insert_reaction(rt.db, SampleReaction(
            subject="Over de coöperatie", from_name="Anna de Vries", from_address="lezer0@example.org",
            reply_text="De coöperatie in onze wijk werkt al tien jaar.\n\nGroet, Anna",
            full_text="De coöperatie in onze wijk werkt al tien jaar.\n\nGroet, Anna\n\n> Samen verder",
            html_body="<p>De <b>coöperatie</b> in onze wijk.</p>", newsletter_id=first.id,
            theme_slug="kracht-van-het-collectief", received_at="2026-11-19T10:00:00+00:00",
            attachments=[("verslag.pdf", "application/pdf", b"%PDF-1.4 sample")]))
        triage.add_tag(rt.db, [ids["text"]], "boek", "anna")
        asked = quotes.ask(rt.config, rt.db, rt.key, ids["text"], "De coöperatie in onze wijk werkt al tien jaar.",
                           "anna")
        triage.add_note(rt.db, ids["text"], "Mooi citaat voor het boek.", "anna")
        triage.assign(rt.db, [ids["text"]], "bram", "anna")
        ids["html"] = insert_reaction(rt.db, SampleReaction(
            subject="Alleen HTML", reply_text="", full_text="", newsletter_id=first.id,
            html_body='<h2>Reactie</h2><p>Zie <a href="https://example.org/verslag">het verslag</a>.</p>'
                      "<ul><li>een</li><li>twee</li></ul><table><tr><td>cel</td></tr></table>",
            received_at="2026-11-18T10:00:00+00:00"))
        ids["bounce"] = insert_reaction(rt.db, SampleReaction(
            kind="bounce", subject="Undelivered Mail Returned to Sender", from_name="MAILER-DAEMON",
            from_address="mailer-daemon@example.net", reply_text="The mail could not be delivered.",
            bounced_addresses=["weg@example.net"], newsletter_id=first.id, received_at="2026-11-17T10:00:00+00:00"))
        app = create_app(rt)
        counter = itertools.count(1)
        with ServerThread(app) as srv:
            yield SimpleNamespace(url=srv.url, rt=rt, ids=ids, adapter=app.url_map.bind("127.0.0.1"),
                                  quote_request=asked.id,
                                  new_address=lambda: f"lezer.{next(counter)}@gemeente.example.nl")
        rt.close()


@pytest.fixture(scope="module")
def contexts(browser, site) -> dict[bool, BrowserContext]:
    """Two browser contexts for every test: a visitor's, and a logged-in team member's (by ``team``)."""
    options = {"width": WIDTHS[0], "height": 800, "locale": "nl-NL", "bypass_csp": True}  # our CSP blocks axe
    page = log_in(browser, site.url, "anna", PASSWORD, **options)
    assert re.search(r"/team/$", page.url)
    made = {False: browser.new_context(viewport={"width": WIDTHS[0], "height": 800}, locale="nl-NL",
                                       bypass_csp=True), True: page.context}
    page.close()
    yield made
    for ctx in made.values():
        ctx.close()


# True when a style sheet of the page has rules for the reader's dark colour scheme.
HAS_DARK_STYLES = """() => [...document.styleSheets].some(sheet => [...sheet.cssRules].some(
    rule => rule.media && rule.media.mediaText.includes("prefers-color-scheme")))"""


def violations(page: BrowserPage, label: str, iframes: bool = True) -> list[str]:
    """axe's WCAG 2.1 A/AA findings on ``page`` at each width, and in dark mode where the page has
    styles for it (none: an empty list). Screenshots go to $A11Y_SCREENSHOTS when it is set."""
    shots = os.environ.get("A11Y_SCREENSHOTS")
    views = [(width, "light") for width in WIDTHS]
    if page.evaluate(HAS_DARK_STYLES):
        views.append((WIDTHS[0], "dark"))
    found = []
    for width, scheme in views:
        page.set_viewport_size({"width": width, "height": 800})
        page.emulate_media(color_scheme=scheme)
        name = f"{label}-{width}" + ("-dark" if scheme == "dark" else "")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)
        axe = AXE_AGAIN if page.evaluate("'axe' in window") else AXE
        results = axe.run(page, options={**WCAG_21_AA, "iframes": iframes})
        if results.violations_count:
            found.append(f"{name}:\n{results.generate_report()}")
    return found


@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_page_meets_wcag_21_aa(spec: Page, site, contexts) -> None:
    page = contexts[spec.team].new_page()
    try:
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})
        spec.visit(page, site)
        path = urlsplit(page.url).path
        if spec.endpoint is None:
            with pytest.raises(NotFound):
                site.adapter.match(path, method="GET")
        else:  # the page shown is the one this entry claims to cover
            assert site.adapter.match(path, method=spec.method)[0] == spec.endpoint, page.url
        found = violations(page, spec.name, spec.iframes)
    finally:
        page.close()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("slug", ISSUES)
def test_newsletter_html_meets_wcag_21_aa(slug: str, site, contexts, tmp_path: Path) -> None:
    """The issue as ``mailer render SLUG --out FILE`` writes it, opened from the file."""
    html = tmp_path / f"{slug}.html"
    html.write_text(render_example(site.rt, slug).html, encoding="utf-8")
    page = contexts[False].new_page()
    try:
        page.goto(html.as_uri())
        page.wait_for_selector("h1")
        found = violations(page, f"newsletter-{slug}")
    finally:
        page.close()
    assert not found, "\n".join(found)


def test_every_page_has_an_axe_test(tmp_path: Path) -> None:
    """A GET route without an entry in PAGES (or a reason in NOT_PAGES) fails here, by name."""
    app = create_app(Runtime(load_config(write_config(tmp_path))))
    covered = {p.endpoint for p in PAGES}
    missing = sorted(f"{rule.rule} (endpoint {rule.endpoint})" for rule in app.url_map.iter_rules()
                     if "GET" in (rule.methods or ()) and rule.endpoint not in covered
                     and rule.endpoint not in NOT_PAGES)
    assert not missing, ("GET routes without an axe test: " + ", ".join(missing) + ". Add a Page for each to "
                         "PAGES in tests/test_accessibility.py, or a reason to NOT_PAGES if it is no page.")
    stale = sorted((covered - {None} | set(NOT_PAGES)) - {r.endpoint for r in app.url_map.iter_rules()})
    assert not stale, f"PAGES or NOT_PAGES name endpoints the app no longer has: {stale}"
