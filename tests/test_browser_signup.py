"""A new reader signs up in a real browser, confirms from the mail, receives the next issue and
unsubscribes with one click from the link in that issue (Debian chromium via Playwright)."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest

from conftest import write_config
from mailer.config import load_config
from mailer.localservers import LocalSmtpServer, free_port
from mailer.runtime import Runtime
from mailer.web import create_app
from mailer.web.server import ServerThread
from subscribers import consent, store

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
SLUG = "2026-11-samen-verder"
ADDRESS = "noor.van.der.linden@gemeente.example.nl"


def _mail_to(smtp: LocalSmtpServer, address: str) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=email.policy.default)
            for m in smtp.messages if address in m.rcpt_tos]


def test_signup_confirm_receive_issue_unsubscribe(tmp_path: Path, smtp_server: LocalSmtpServer) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    sender = pytest.importorskip("mailer.send.sender")
    from mailer.stores import newsletters

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rt = Runtime(load_config(write_config(tmp_path, smtp_server.port, web={"base_url": base})))
    nl, _ = sender.load_newsletter(rt, SLUG)
    newsletters.sync(rt.db, nl)  # its themes appear on the form
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with ServerThread(create_app(rt), port=port), sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="nl-NL")
            page = phone.new_page()
            page.goto(f"{base}/aanmelden")
            assert page.locator("html").get_attribute("lang") == "nl"
            page.get_by_label("Naam").fill("Noor van der Linden")
            page.get_by_label("E-mailadres").fill(ADDRESS)
            page.get_by_label("Groeipijn").check()
            # mobile-friendly: nothing wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.screenshot(path=str(shots / "signup-375.png"), full_page=True)
            page.get_by_role("button", name="Aanmelden").click()
            page.get_by_role("heading", name="Kijk in uw mail").wait_for()
            sub = store.find_by_email(rt.db, ADDRESS)
            assert sub is not None and sub.status == "pending"

            (confirmation,) = _mail_to(smtp_server, ADDRESS)
            text = confirmation.get_body(("plain",)).get_content()
            confirm_url = re.search(r"http://\S+/bevestigen/[a-z0-9-]+", text).group()
            desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
            page = desktop.new_page()
            page.goto(confirm_url)
            page.screenshot(path=str(shots / "confirm-1280.png"), full_page=True)
            page.get_by_role("button", name="Aanmelding bevestigen").click()
            page.get_by_role("heading", name="U bent aangemeld").wait_for()
            assert store.get(rt.db, sub.id).status == "active"
            assert store.get(rt.db, sub.id).themes == ("groeipijn",)

            sender.send_newsletter(rt, SLUG)
            (issue,) = [m for m in _mail_to(smtp_server, ADDRESS) if m is not confirmation
                        and "bevestig" not in m["Subject"].lower() and "welkom" not in m["Subject"].lower()]
            assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            html = issue.get_body(("html",)).get_content()
            unsubscribe_url = re.search(r'href="(http://[^"]+/afmelden/[a-z0-9-]+)"', html).group(1)

            page = phone.new_page()
            page.goto(unsubscribe_url)
            assert page.get_by_role("button").count() == 1
            page.screenshot(path=str(shots / "unsubscribe-375.png"), full_page=True)
            assert store.get(rt.db, sub.id).status == "active"  # opening the page changes nothing
            page.get_by_role("button", name="Afmelden").click()
            page.get_by_role("heading", name="U bent afgemeld").wait_for()
            page.screenshot(path=str(shots / "unsubscribed-375.png"), full_page=True)
            desktop.new_page().goto(unsubscribe_url)
            desktop.pages[-1].screenshot(path=str(shots / "unsubscribed-1280.png"), full_page=True)
        finally:
            browser.close()

    final = store.get(rt.db, sub.id)
    assert final.status == "unsubscribed" and store.is_suppressed(rt.db, ADDRESS)
    assert [e.action for e in consent.history(rt.db, sub.id)] == ["signup", "confirm", "unsubscribe"]
    for name in ("signup-375", "confirm-1280", "unsubscribe-375", "unsubscribed-375", "unsubscribed-1280"):
        assert (shots / f"{name}.png").stat().st_size > 2000
    rt.close()
