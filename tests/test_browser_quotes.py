"""The reader answers "may we quote you?" in a real browser, from the links in the mail the team's
request produced (real waitress server, real aiosmtpd, Debian chromium through Playwright):
each of the three links, the answer recorded in the consent log, changed later through the same
link. Screenshots of the reader's page and the team's panel at 375 and 1280 px."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, write_config
from mailer import quotes
from mailer.config import load_config
from mailer.localservers import LocalSmtpServer, free_port
from mailer.runtime import Runtime
from mailer.stores import quotes as quote_store
from mailer.web import auth, create_app
from mailer.web.server import ServerThread
from test_quotes import reaction

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
PASSWORD = "correct horse battery"


def _links(smtp: LocalSmtpServer) -> dict[str, str]:
    msg = email.message_from_bytes(smtp.messages[-1].data, policy=email.policy.default)
    return {m.group(2): m.group(0) for m in re.finditer(r"http://\S+/citaat/[a-z0-9-]+/(?P<c>(naam|anoniem|nee))",
                                                         msg.get_content())}


def test_the_reader_follows_each_link_and_changes_the_answer_later(tmp_path: Path, smtp_server: LocalSmtpServer):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    folder = tmp_path / "newsletters"
    shutil.copytree(PROJECT_ROOT / "newsletters", folder)
    rt = Runtime(load_config(write_config(tmp_path, smtp_server.port, web={"base_url": base},
                                          content={"newsletters_dir": str(folder)})))
    auth.create_user(rt.db, "bram", PASSWORD)
    rid = reaction(rt, 31)
    passage = "Wij werken al tien jaar samen met de gemeente, en elke keer leren we iets nieuws."
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with ServerThread(create_app(rt), port=port), sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            team = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="nl-NL").new_page()
            team.goto(f"{base}/team/login")
            team.fill("input[name=name]", "bram")
            team.fill("input[name=password]", PASSWORD)
            team.click("form.login button[type=submit]")
            team.wait_for_url(re.compile(r"/team/$"))
            team.goto(f"{base}/team/reactions/{rid}")
            team.get_by_label("Te citeren woorden (eerst inkorten of aanpassen)").fill(passage)
            team.click("#ask-quote-send")
            team.wait_for_selector("#quote-state:has-text('Gevraagd')")
            assert len(smtp_server.messages) == 1
            urls = _links(smtp_server)
            assert set(urls) == {"naam", "anoniem", "nee"}

            phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="nl-NL").new_page()
            for choice, state, heading in (("nee", "refused", "Liever niet"), ("anoniem", "anonymous", "Ja, anoniem"),
                                           ("naam", "named", "Ja, met mijn naam")):
                phone.goto(urls[choice])
                phone.get_by_role("heading", name=heading).wait_for()
                assert passage in phone.locator("#passage").inner_text()
                assert quotes.state_of(rt.db, rid) != state   # opening the link records nothing
                if choice == "naam":
                    assert phone.get_by_label("Naam bij het citaat").input_value() == "Anna de Vries"
                    phone.get_by_label("Naam bij het citaat").fill("Anna de V.")
                    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
                    phone.screenshot(path=str(shots / "quote-confirm-375.png"), full_page=True)
                phone.click("#confirm")
                phone.get_by_role("heading", name="Dank u: uw antwoord is vastgelegd").wait_for()
                assert quotes.state_of(rt.db, rid) == state
            phone.screenshot(path=str(shots / "quote-done-375.png"), full_page=True)

            # Later: back to the same link's page, another answer.
            phone.click("#change")
            phone.get_by_text("Uw antwoord tot nu toe:").wait_for()
            phone.get_by_role("link", name="Ja, anoniem").click()
            phone.click("#confirm")
            phone.get_by_role("heading", name="Dank u: uw antwoord is vastgelegd").wait_for()
            assert quotes.state_of(rt.db, rid) == "anonymous"

            req = quote_store.latest_requests(rt.db, [rid])[rid]
            log = quote_store.consents_of(rt.db, req.id)
            assert [(c.answer, c.name) for c in log] == [("refused", ""), ("anonymous", ""), ("named", "Anna de V."),
                                                        ("anonymous", "")]
            assert {c.passage for c in log} == {passage} and all(c.created_at for c in log)

            desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
            desktop.goto(urls["naam"].rsplit("/", 1)[0])
            desktop.screenshot(path=str(shots / "quote-overview-1280.png"), full_page=True)
            team.goto(f"{base}/team/reactions/{rid}")
            team.wait_for_selector("#quote-state:has-text('Toegestemd, anoniem')")
            assert team.locator("#quote-log li").count() == 4
            team.locator("#quote").screenshot(path=str(shots / "team-quote-panel-1280.png"))
            team.set_viewport_size({"width": 375, "height": 900})
            team.locator("#quote").screenshot(path=str(shots / "team-quote-panel-375.png"))
        finally:
            browser.close()
    rt.close()
