"""The CXO's desk in a real browser (Debian chromium via Playwright): write a new issue with two
themes and watch the preview follow, save it to its Markdown file, send a test, schedule it and see
it go out, a change on disk caught, accessibility (axe, WCAG 2.1 A/AA) and screenshots of every
page at 375 and 1280 px; and ``mailer demo --serve`` from the checkout: log in, write, preview,
send a test, and sign up and confirm through the demo's "Verzonden post" page."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.waiting import wait_for

from mailer.stores import newsletters
from mailer.config import load_config
from conftest import PROJECT_ROOT
from mailer.localservers import LocalSmtpServer, free_port
from mailer.runtime import Runtime
from mailer.web import auth, create_app
from mailer.web.server import ServerThread
from subscribers import store
from conftest import write_config
from support.browser import ARGS, CHROMIUM, WCAG, log_in, need_chromium  # noqa: F401 - shared with other tests

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

PASSWORD = "browser-desk-password"
SENT = "2026-11-samen-verder"
WIDTHS = (375, 1280)
SHOTS = os.environ.get("MAILER_SCREENSHOTS", "")   # read at import: the tests' environment drops MAILER_*


def shots_dir(tmp_path_factory) -> Path:
    """Screenshots go to $MAILER_SCREENSHOTS when set (to look at them), else a temporary folder."""
    folder = Path(SHOTS) if SHOTS else tmp_path_factory.mktemp("desk-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    need_chromium()
    tmp = tmp_path_factory.mktemp("desk-browser")
    folder = tmp / "newsletters"
    shutil.copytree(PROJECT_ROOT / "newsletters", folder)
    smtp = LocalSmtpServer().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rt = Runtime(load_config(write_config(tmp, smtp.port, content={"newsletters_dir": str(folder)},
                                          web={"base_url": base}, smtp={"connections": 1},
                                          schedule={"check_interval": 1})))
    auth.create_user(rt.db, "cxo", PASSWORD)
    for i in range(2):
        store.add(rt.db, f"lezer{i}@example.org", f"Lezer {i}", status="active", source="test", method="import")
    from mailer.send.sender import send_newsletter

    send_newsletter(rt, SENT)      # one sent issue: the archive and its web version have something to show
    smtp.handler.messages.clear()
    srv = ServerThread(create_app(rt), port=port).start()
    yield SimpleNamespace(url=srv.url, rt=rt, folder=folder, smtp=smtp, shots=shots_dir(tmp_path_factory))
    srv.stop()
    smtp.stop()
    rt.close()


def logged_in(browser, site, width: int = 1280, **options):
    page = log_in(browser, site.url, "cxo", PASSWORD, width=width, locale="nl-NL", **options)
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    return page


@pytest.fixture
def page(browser, site):
    pg = logged_in(browser, site)
    yield pg
    pg.context.close()


def new_issue(page, site, title: str) -> str:
    page.goto(site.url + "/team/desk")
    page.click("#new-issue")
    page.get_by_label("Titel").fill(title)
    page.get_by_role("button", name="Nummer aanmaken").click()
    page.wait_for_selector("#editor")
    return page.url.rsplit("/", 1)[1]


def frame_text(page, frame_id: str) -> str:
    return page.frame_locator(f"#{frame_id}").locator("body").inner_text()


def test_write_an_issue_with_two_themes_see_the_preview_follow_and_save_the_file(page, site):
    name = new_issue(page, site, "Verkenning in de browser")
    assert "Nieuw nummer aangemaakt" in page.inner_text(".flashes")
    page.click("#add-section")                                   # a second section, not saved yet
    page.wait_for_selector("#f-sections-1-heading")
    page.fill("#f-intro", "Een korte inleiding.")
    page.fill("#f-sections-0-heading", "Samen bouwen")
    page.select_option("#f-sections-0-theme", "groeipijn")        # a known theme
    page.fill("#f-sections-0-body", "| Plaats | Datum |\n| --- | --- |\n| Zwolle | 12 februari |")
    page.fill("#f-sections-1-heading", "Wat waarde heeft")
    assert not page.is_visible("#f-sections-1-newtheme")
    page.select_option("#f-sections-1-theme", "__new__")          # a new theme
    page.fill("#f-sections-1-newtheme", "Publieke waarde")
    page.fill("#f-sections-1-body", "Een zin die alleen in het voorbeeld staat.")
    page.fill("#f-outro", "Met vriendelijke groet,\nde CXO")
    # the preview follows the form without saving
    wait_for(lambda: "Een zin die alleen in het voorbeeld staat." in frame_text(page, "preview-phone"))
    phone = page.frame_locator("#preview-phone")
    assert phone.locator("text=PUBLIEKE WAARDE").count() == 1 or "Publieke waarde" in frame_text(page, "preview-phone")
    assert phone.locator("table.md-table").count() == 1
    assert page.evaluate("document.getElementById('preview-phone').getBoundingClientRect().width") == 375
    page.click(".tabs button[data-view=desktop]")
    assert page.is_visible("#preview-desktop") and not page.is_visible("#preview-phone")
    assert page.evaluate("document.getElementById('preview-desktop').getBoundingClientRect().width") > 600
    page.click(".tabs button[data-view=text]")
    wait_for(lambda: "Plaats  Datum" in page.inner_text("#preview-text"))
    assert not (site.folder / f"{name}.md").read_text(encoding="utf-8").count("Publieke waarde")
    # an error shows beside its field as you type, in Dutch
    page.fill("#f-subject", "")
    page.wait_for_selector("#err-subject:has-text('Vul dit in.')")
    page.fill("#f-subject", "Verkenning in de browser: twee thema's")
    page.wait_for_selector("#err-subject:empty", state="attached")
    page.click("#save")
    page.wait_for_selector(".flash.ok:has-text('Opgeslagen in')")
    text = (site.folder / f"{name}.md").read_text(encoding="utf-8")
    assert "## Samen bouwen {theme=groeipijn}" in text and "## Wat waarde heeft {theme=publieke-waarde}" in text
    assert 'name = "Publieke waarde"' in text and 'subject = "Verkenning in de browser: twee thema\'s"' in text
    assert "Met vriendelijke groet,\nde CXO\n" in text
    assert page.dialogs == []


def test_send_a_test_from_the_desk(page, site):
    name = new_issue(page, site, "Testronde")
    page.click("#to-send")
    page.fill("#f-addresses", "cxo@example.nl\ncollega@example.nl")
    site.smtp.handler.messages.clear()
    page.click("#send-test")
    page.wait_for_selector(".flash.ok:has-text('Testversie verstuurd naar collega@example.nl')")
    mails = [email.message_from_bytes(m.data, policy=email.policy.default) for m in site.smtp.messages]
    assert sorted(m["To"] for m in mails) == ["collega@example.nl", "cxo@example.nl"]
    assert all(m["Subject"] == "[TEST] Testronde" for m in mails)
    assert page.input_value("#f-addresses") == "cxo@example.nl\ncollega@example.nl"
    assert newsletters.get(site.rt.db, name).status == "draft"


@pytest.mark.slow
def test_schedule_in_amsterdam_time_and_see_it_go_out(page, site):
    from mailer.schedule import start_scheduler

    name = new_issue(page, site, "Op tijd")
    page.click("#to-send")
    tz = site.rt.config.schedule.tz
    when = (datetime.now(tz) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if (when - datetime.now(tz)).total_seconds() < 8:
        when += timedelta(minutes=1)
    page.fill("#f-schedule", when.strftime("%Y-%m-%dT%H:%M"))
    page.click("#schedule")
    page.wait_for_selector(f".flash.ok:has-text('Ingepland voor {when:%Y-%m-%d %H:%M}')")
    assert page.inner_text("#state") == "Gepland"
    site.smtp.handler.messages.clear()
    scheduler = start_scheduler(site.rt, poll=False, send_interval=1)   # the tick, set short
    try:
        # the page follows the send by itself and shows it went out
        page.wait_for_selector("#state:has-text('Verzonden')", timeout=120_000)
    finally:
        scheduler.shutdown(wait=True)
    assert sorted(m.rcpt_tos[0] for m in site.smtp.messages) == ["lezer0@example.org", "lezer1@example.org"]
    row = newsletters.get(site.rt.db, name)
    assert row.status == "sent" and row.started_at >= when.astimezone(row.started_at.tzinfo) - timedelta(seconds=1)
    assert page.inner_text("#count-sent") == "2"


def test_a_change_on_disk_while_the_editor_is_open_is_not_overwritten(page, site):
    name = new_issue(page, site, "Twee editors")
    path = site.folder / f"{name}.md"
    theirs = path.read_text(encoding="utf-8").replace('title = "Twee editors"', 'title = "Uit vim"')
    path.write_text(theirs, encoding="utf-8")                 # someone edits the file meanwhile
    page.fill("#f-title", "Uit de browser")
    page.click("#save")
    page.wait_for_selector("#err-form:has-text('op schijf gewijzigd')")
    assert page.input_value("#f-title") == "Uit de browser"   # her text is still there to copy
    assert path.read_text(encoding="utf-8") == theirs
    page.goto(site.url + f"/team/desk/{name}")
    assert page.input_value("#f-title") == "Uit vim"


def test_every_page_passes_axe_and_is_photographed_at_phone_and_desktop_width(browser, site):
    from axe_playwright_python.sync_playwright import Axe

    name = "2027-01-de-nieuwe-makers"
    (site.folder / "kapot.md").write_text("+++\ntitle = \"open\n", encoding="utf-8")
    team = {
        "desk-list": "/team/desk", "desk-new": "/team/desk/new", "desk-edit": f"/team/desk/{name}",
        "desk-source": "/team/desk/kapot", "desk-send": f"/team/desk/{name}/send",
        "desk-confirm": f"/team/desk/{name}/send-now", "desk-send-sent": f"/team/desk/{SENT}/send",
    }
    public = {"archive": "/archief", "archive-issue": f"/archief/{SENT}", "archive-missing": "/archief/bestaat-niet"}
    problems = []
    for width in WIDTHS:
        page = logged_in(browser, site, width, bypass_csp=True)   # axe's script is injected: CSP bypassed here
        for label, path in {**team, **public}.items():
            page.goto(site.url + path)
            page.wait_for_load_state("networkidle")
            results = Axe().run(page, options=WCAG)
            if results.violations_count:
                problems.append(f"{label} @ {width}px:\n{results.generate_report()}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, (label, width)
            page.screenshot(path=str(site.shots / f"{label}-{width}.png"), full_page=label != "desk-edit")
        page.context.close()
    (site.folder / "kapot.md").unlink()
    assert problems == [], "\n".join(problems)


def test_desk_pages_keep_the_strict_csp(page, site):
    for path in ("/team/desk", "/team/desk/2027-01-de-nieuwe-makers", f"/team/desk/{SENT}/send"):
        response = page.goto(site.url + path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # the editor still works under it: no script was blocked
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto(site.url + "/team/desk/2027-01-de-nieuwe-makers")
    page.fill("#f-title", "CSP")
    page.wait_for_selector("#preview-status:has-text('Voorbeeld bijgewerkt.')")
    assert not [m for m in messages if "Content Security Policy" in m]


# -- mailer demo --serve, from the checkout ---------------------------------------------------------

@pytest.fixture
def demo(tmp_path):
    need_chromium()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    env.update(COLUMNS="200", MAILER_WEB__PORT=str(free_port()), PYTHONUNBUFFERED="1")
    before = sorted(p.name for p in (PROJECT_ROOT / "newsletters").iterdir())
    script = Path(sys.executable).parent / "mailer"
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from mailer.cli import main; main()"]
    proc = subprocess.Popen(command + ["demo", "--serve", "--dir", str(tmp_path / "demo")], cwd=PROJECT_ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Verzonden post"):
                break
        out = "".join(lines)
        team = re.search(r"Webinterface: (http://\S+)/team\s+gebruiker: (\S+)\s+wachtwoord: (\S+)", out)
        post = re.search(r"Verzonden post \(alle mail van de demo\): (http://\S+)/", out)
        assert team and post, out[-3000:]
        yield SimpleNamespace(url=team.group(1), user=team.group(2), password=team.group(3), post=post.group(1),
                              proc=proc, folder=tmp_path / "demo")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert sorted(p.name for p in (PROJECT_ROOT / "newsletters").iterdir()) == before   # the checkout is untouched


@pytest.mark.slow
def test_demo_serve_log_in_write_preview_send_a_test_and_finish_a_sign_up(demo, browser, tmp_path_factory):
    from axe_playwright_python.sync_playwright import Axe

    shots = shots_dir(tmp_path_factory)
    contexts = []
    try:
        page = log_in(browser, demo.url, demo.user, demo.password, locale="nl-NL")
        contexts.append(page.context)
        page.get_by_role("link", name="Schrijven").click()
        page.click("#new-issue")
        page.get_by_label("Titel").fill("Demo-nummer")
        page.get_by_role("button", name="Nummer aanmaken").click()
        page.fill("#f-sections-0-heading", "Eerste verkenning")
        page.select_option("#f-sections-0-theme", "groeipijn")
        page.fill("#f-sections-0-body", "Geschreven in de demo.")
        page.wait_for_selector("#preview-status:has-text('Voorbeeld bijgewerkt.')")
        assert "Geschreven in de demo." in frame_text(page, "preview-phone")
        page.click("#save")
        page.wait_for_selector(".flash.ok:has-text('Opgeslagen in')")
        assert "Geschreven in de demo." in next((demo.folder / "newsletters").glob("*demo-nummer.md")).read_text()
        page.click("#to-send")
        page.fill("#f-addresses", "cxo@example.nl")
        page.click("#send-test")
        page.wait_for_selector(".flash.ok:has-text('Testversie verstuurd naar cxo@example.nl')")
        # the test copy is in the demo's "Verzonden post"
        page.goto(demo.post + "/")
        page.get_by_role("link", name="[TEST] Demo-nummer").click()
        page.wait_for_selector("text=Geschreven in de demo.")

        # a reader signs up on the demo's public page and finishes through the caught mail
        contexts.append(browser.new_context(viewport={"width": 375, "height": 800}, locale="nl-NL"))
        reader = contexts[-1].new_page()
        reader.goto(demo.url + "/aanmelden")
        reader.get_by_label("E-mailadres").fill("nieuwe.lezer@example.org")
        reader.get_by_role("button", name=re.compile("Aanmelden")).click()
        reader.get_by_role("heading", name="Kijk in uw mail").wait_for()
        reader.goto(demo.post + "/")
        reader.get_by_role("link", name=re.compile("Bevestig")).first.click()
        reader.locator("pre a[href*='/bevestigen/']").click()
        reader.get_by_role("button", name="Aanmelding bevestigen").click()
        reader.get_by_role("heading", name="U bent aangemeld").wait_for()
        reader.goto(demo.post + "/")
        reader.get_by_role("link", name=re.compile("Welkom bij de nieuwsbrief")).wait_for()
        for width in WIDTHS:
            look = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True).new_page()
            for label, url in (("demo-post", demo.post + "/"), ("demo-post-mail", demo.post + "/1")):
                look.goto(url)
                results = Axe().run(look, options=WCAG)
                assert results.violations_count == 0, results.generate_report()
                look.screenshot(path=str(shots / f"{label}-{width}.png"), full_page=True)
            look.context.close()
    finally:
        for ctx in contexts:
            ctx.close()
