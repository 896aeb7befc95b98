"""Following a send in a real browser (Debian chromium via Playwright): after a send through an SMTP
server that refuses one address for good (550) and greylists another (451, then 250), the desk's
deliveries page shows the permanent failure with the server's text and the greylisted one delivered
after a retry; filter, search and CSV work; "Opnieuw proberen" retries only what may be retried; and
the page passes axe (WCAG 2.1 A/AA) at 375 and 1280 px, photographed at both widths."""

from __future__ import annotations

import csv
import io
import os
import time
from types import SimpleNamespace

import pytest
from support.browser import WCAG, log_in, need_chromium
from test_browser_desk import WIDTHS, shots_dir, wait_for
from test_desk_deliveries import FULL, GREYLISTED, PASSWORD, REFUSAL, REFUSED, UNKNOWN, sent_with_faults
from test_send_kit import SLUG

from mailer.localservers import free_port
from mailer.stores import newsletters
from mailer.web import create_app
from mailer.web.server import ServerThread

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    need_chromium()
    tmp = tmp_path_factory.mktemp("deliveries-browser")
    port = free_port()
    rt, smtp, faults = sent_with_faults(tmp, web={"base_url": f"http://127.0.0.1:{port}"})
    srv = ServerThread(create_app(rt), port=port).start()
    yield SimpleNamespace(url=srv.url, rt=rt, smtp=smtp, faults=faults, shots=shots_dir(tmp_path_factory))
    srv.stop()
    smtp.stop()
    rt.close()


def logged_in(browser, site, width: int = 1280, **options):
    return log_in(browser, site.url, "cxo", PASSWORD, width=width, locale="nl-NL", **options)


def row(page, email: str):
    return page.locator(f'tr[data-email="{email}"]')


def test_the_deliveries_page_passes_axe_and_is_photographed(browser, site):
    from axe_playwright_python.sync_playwright import Axe

    problems = []
    for width in WIDTHS:
        page = logged_in(browser, site, width, bypass_csp=True)   # axe's script is injected: CSP bypassed here
        for label, path in {"deliveries": f"/team/desk/{SLUG}/deliveries",
                            "deliveries-failed": f"/team/desk/{SLUG}/deliveries?state=failed&q=example"}.items():
            page.goto(site.url + path)
            page.wait_for_load_state("networkidle")
            results = Axe().run(page, options=WCAG)
            if results.violations_count:
                problems.append(f"{label} @ {width}px:\n{results.generate_report()}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, (label, width)
            page.screenshot(path=str(site.shots / f"{label}-{width}.png"), full_page=True)
        page.context.close()
    assert problems == [], "\n".join(problems)


def test_follow_the_send_filter_export_and_retry_only_what_may_be_retried(browser, site):
    page = logged_in(browser, site)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(site.url + "/team/desk")
        issue = page.locator(f'li.issue[data-slug="{SLUG}"]')
        assert "Verzonden, niet aan iedereen" in issue.inner_text()
        issue.get_by_role("link", name="Bezorging").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/team/desk/{SLUG}/deliveries")

        refused = row(page, REFUSED).inner_text()
        assert "Mislukt" in refused and REFUSAL in refused and "Definitief geweigerd" in refused
        greylisted = row(page, GREYLISTED).locator("td")
        assert "Bezorgd" in greylisted.nth(1).inner_text() and greylisted.nth(3).inner_text() == "2"
        assert "Opnieuw proberen" in row(page, FULL).inner_text()

        page.select_option("#f-state", "failed")
        page.click("#filter")
        page.wait_for_load_state()
        assert sorted(page.locator("tr[data-email]").evaluate_all("rs => rs.map(r => r.dataset.email)")) == \
            sorted([REFUSED, FULL])
        page.fill("#f-q", "refused")
        page.click("#filter")
        page.wait_for_load_state()
        assert page.locator("tr[data-email]").count() == 1

        with page.expect_download() as download:
            page.click("#csv")
        text = open(download.value.path(), encoding="utf-8").read()
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        assert [r[0] for r in rows[1:]] == [REFUSED] and rows[1][8] == REFUSAL

        tries = dict(site.faults.seen)
        site.faults.full_fixed.set()     # the full mailbox has room again
        page.goto(site.url + f"/team/desk/{SLUG}/deliveries")
        page.get_by_role("button", name="Opnieuw proberen").click()
        page.wait_for_load_state()
        flashes = page.locator(".flash").all_inner_texts()
        assert any("1 mislukte en 0 wachtende" in f for f in flashes), flashes
        assert any("1 definitief geweigerd door de server, 1 onbestelbaar" in f for f in flashes), flashes

        def full_delivered() -> bool:
            page.reload()
            return "Bezorgd" in row(page, FULL).inner_text()

        wait_for(full_delivered)
        assert "Mislukt" in row(page, REFUSED).inner_text()
        assert site.faults.seen[REFUSED] == tries[REFUSED] and site.faults.seen[UNKNOWN] == tries[UNKNOWN]
        assert site.faults.seen[FULL] == tries[FULL] + 1
        page.screenshot(path=str(site.shots / "deliveries-after-retry-1280.png"), full_page=True)
        assert errors == []
    finally:
        page.context.close()


def test_the_page_follows_a_running_send_without_reloading(browser, tmp_path):
    """Each recipient takes the server a moment: the tally and the progress bar move while the
    page stays (no reload until the issue's state changes)."""
    from test_send_kit import make_runtime

    from mailer.localservers import LocalSmtpServer
    from mailer.web import auth
    from mailer.web.desk_actions import send_now
    from subscribers import store

    def slow(address: str) -> None:
        time.sleep(0.4)      # the test server's own loop: one connection, so this paces the send
        return None

    port = free_port()
    with LocalSmtpServer() as smtp:
        smtp.handler.rcpt_hook = slow
        rt = make_runtime(tmp_path, smtp.port, web={"base_url": f"http://127.0.0.1:{port}"})
        auth.create_user(rt.db, "cxo", PASSWORD)
        for i in range(16):
            store.add(rt.db, f"lezer{i}@example.org", "", status="active", source="test", method="import")
        srv = ServerThread(create_app(rt), port=port).start()
        page = logged_in(browser, SimpleNamespace(url=srv.url))
        try:
            thread = send_now(rt.config, SLUG)
            wait_for(lambda: (newsletters.find(rt.db, SLUG) or SimpleNamespace(status="")).status == "sending")
            page.goto(srv.url + f"/team/desk/{SLUG}/deliveries")
            page.evaluate("window.stayed = true")
            first = int(page.inner_text("#count-sent"))
            wait_for(lambda: page.evaluate("window.stayed === true") and int(page.inner_text("#count-sent")) > first,
                     timeout=20)
            assert int(page.get_attribute("#send-progress", "value")) >= int(page.inner_text("#count-sent"))
            thread.join(30)
            wait_for(lambda: page.locator('#state[data-state="sent"]').count() == 1)  # reloaded when done
            assert page.inner_text("#count-sent") == "16"
        finally:
            page.context.close()
            srv.stop()
            rt.close()
