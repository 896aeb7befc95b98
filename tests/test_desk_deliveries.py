"""Following a send on the desk (Flask's test client, a real aiosmtpd server that misbehaves on
purpose): each delivery's state and the server's answer, filter and search, the CSV export, and
"Opnieuw proberen" retrying only what failed for a temporary reason. The browser test reuses the
scenario built here."""

from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path

import pytest
from support.waiting import wait_for
from test_send_kit import SLUG, make_runtime

from mailer.localservers import LocalSmtpServer
from mailer.runtime import Runtime
from mailer.send.sender import send_newsletter
from mailer.stores import deliveries, newsletters
from mailer.web import auth, create_app
from subscribers import store

PASSWORD = "deliveries-password"
REFUSED = "refused@example.org"        # 550 at RCPT, not a mailbox problem: a permanent failure
GREYLISTED = "greylisted@example.org"  # 451 once, then accepted: delivered after a retry
FULL = "full@example.org"              # 452 until the test lets it through: fails retryable
UNKNOWN = "unknown@example.org"        # 550 5.1.1: a bounce
FORMULA = "-formula@example.org"       # a spreadsheet would read this cell as a formula
FINE = "fine@example.org"
REFUSAL = "550 5.7.1 <refused@example.org>: Recipient address rejected: relaying denied by policy"


class Faults:
    """The SMTP server's answers per recipient, counted; ``full_fixed`` lets FULL through."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.full_fixed = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, address: str) -> str | None:
        with self.lock:
            self.seen[address] = self.seen.get(address, 0) + 1
            n = self.seen[address]
        if address == REFUSED:
            return REFUSAL
        if address == UNKNOWN:
            return "550 5.1.1 <unknown@example.org>: user unknown"
        if address == GREYLISTED and n == 1:
            return "451 4.7.1 greylisted, come back later"
        if address == FULL and not self.full_fixed.is_set():
            return "452 4.2.2 mailbox full"
        return None


def sent_with_faults(tmp_path: Path, **sections: dict) -> tuple[Runtime, LocalSmtpServer, Faults]:
    """A runtime whose issue SLUG went out to six subscribers through a misbehaving server (which
    keeps running: the caller stops it). Retries are quick and FULL gives up after 0.6 s."""
    faults = Faults()
    smtp = LocalSmtpServer().start()
    smtp.handler.rcpt_hook = faults
    smtp_cfg = {"max_attempts": 50, "retry_lifetime": 0.6, "connections": 1}
    smtp_cfg.update(sections.pop("smtp", {}))
    rt = make_runtime(tmp_path, smtp.port, smtp=smtp_cfg, **sections)
    auth.create_user(rt.db, "cxo", PASSWORD)
    for address in (REFUSED, GREYLISTED, FULL, UNKNOWN, FORMULA, FINE):
        store.add(rt.db, address, "", status="active", source="test", method="import")
    send_newsletter(rt, SLUG)
    return rt, smtp, faults



@pytest.fixture
def world(tmp_path):
    rt, smtp, faults = sent_with_faults(tmp_path)
    yield rt, smtp, faults
    smtp.stop()
    rt.close()


@pytest.fixture
def client(world):
    rt = world[0]
    c = create_app(rt, testing=True).test_client()
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/team/login").get_data(as_text=True)).group(1)
    assert c.post("/team/login", data={"name": "cxo", "password": PASSWORD, "csrf_token": tok}).status_code == 302
    return c


def state_of(rt: Runtime, email: str) -> deliveries.Delivery:
    nid = newsletters.get(rt.db, SLUG).id
    return next(d for d in deliveries.for_newsletter(rt.db, nid) if d.email == email)


def row_html(page: str, email: str) -> str:
    m = re.search(rf'<tr data-email="{re.escape(email)}".*?</tr>', page, re.S)
    assert m, f"no row for {email}"
    return m.group(0)


def test_the_scenario_leaves_each_delivery_where_the_server_put_it(world):
    rt, _smtp, faults = world
    assert state_of(rt, REFUSED).status == "failed" and not state_of(rt, REFUSED).retryable
    assert state_of(rt, GREYLISTED).status == "sent" and state_of(rt, GREYLISTED).attempts == 2
    assert state_of(rt, FULL).status == "failed" and state_of(rt, FULL).retryable
    assert state_of(rt, UNKNOWN).status == "bounced"
    assert faults.seen[REFUSED] == 1


def test_the_page_shows_each_delivery_with_the_servers_whole_answer(client, world):
    page = client.get(f"/team/desk/{SLUG}/deliveries").get_data(as_text=True)
    refused = row_html(page, REFUSED)
    assert "Mislukt" in refused and REFUSAL.replace("<", "&lt;").replace(">", "&gt;") in refused
    assert "Definitief geweigerd door de ontvangende server" in refused
    greylisted = row_html(page, GREYLISTED)
    assert "Bezorgd" in greylisted and re.search(r">2</td>", greylisted)
    assert "Opnieuw proberen" in row_html(page, FULL) and "452 4.2.2 mailbox full" in row_html(page, FULL)
    assert "Het adres bestaat niet" in row_html(page, UNKNOWN)
    assert re.search(r'id="count-sent">3<', page) and re.search(r'id="count-failed">2<', page)
    assert re.search(r'id="count-bounced">1<', page)
    assert "(1 opnieuw te proberen)" in page
    # Sent, but not to everyone: never shown as simply "Verzonden".
    assert re.search(r'id="state" data-state="sent">Verzonden, niet aan iedereen<', page)
    assert "3 mislukt" in page
    # The page follows a send through the desk's state JSON, every state on its own.
    counts = client.get(f"/team/desk/{SLUG}/state").get_json()["counts"]
    assert (counts["sent"], counts["failed"], counts["bounced"], counts["waiting"]) == (3, 2, 1, 0)


def test_filter_by_state_and_search_by_address(client):
    page = client.get(f"/team/desk/{SLUG}/deliveries?state=failed").get_data(as_text=True)
    assert set(re.findall(r'<tr data-email="([^"]+)"', page)) == {REFUSED, FULL}
    page = client.get(f"/team/desk/{SLUG}/deliveries?q=GREY").get_data(as_text=True)
    assert re.findall(r'<tr data-email="([^"]+)"', page) == [GREYLISTED]
    page = client.get(f"/team/desk/{SLUG}/deliveries?state=sent&q=refused").get_data(as_text=True)
    assert "Geen bezorging gevonden." in page
    assert client.get(f"/team/desk/{SLUG}/deliveries?state=nonsense").status_code == 200
    assert client.get("/team/desk/no-such-issue/deliveries").status_code == 404


def test_csv_export_is_semicolon_separated_with_a_bom_and_safe_cells(client):
    resp = client.get(f"/team/desk/{SLUG}/deliveries.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert f'filename="{SLUG}-deliveries.csv"' in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeffadres;status;")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    by_address = {r[0]: r for r in rows[1:]}
    assert len(by_address) == 6
    assert by_address[REFUSED][1] == "failed" and by_address[REFUSED][8] == REFUSAL
    assert by_address[FULL][2] == "ja" and by_address[REFUSED][2] == "nee"
    assert "'" + FORMULA in by_address and FORMULA not in by_address
    only_failed = client.get(f"/team/desk/{SLUG}/deliveries.csv?state=failed").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(only_failed), delimiter=";"))) == 3


def csrf(client) -> str:
    page = client.get(f"/team/desk/{SLUG}/deliveries").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_retry_sends_only_the_retryable_ones_and_explains_the_rest(client, world):
    rt, smtp, faults = world
    refused_tries = faults.seen[REFUSED]
    faults.full_fixed.set()
    resp = client.post(f"/team/desk/{SLUG}/deliveries/retry", data={"csrf_token": csrf(client)})
    assert resp.status_code == 302
    wait_for(lambda: state_of(rt, FULL).status == "sent")
    wait_for(lambda: newsletters.get(rt.db, SLUG).status == "sent")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Wordt opnieuw geprobeerd: 1 mislukte en 0 wachtende bezorgingen." in page
    assert "Niet opnieuw geprobeerd: 1 definitief geweigerd door de server, 1 onbestelbaar" in page
    assert faults.seen[REFUSED] == refused_tries and faults.seen[UNKNOWN] == 1
    assert state_of(rt, REFUSED).status == "failed" and state_of(rt, UNKNOWN).status == "bounced"
    assert sorted(m.rcpt_tos[0] for m in smtp.messages).count(FULL) == 1
    # Nothing retryable left: a second press says so and sends nothing.
    before = len(smtp.messages)
    page = client.get(client.post(f"/team/desk/{SLUG}/deliveries/retry",
                                  data={"csrf_token": csrf(client)}).headers["Location"]).get_data(as_text=True)
    assert "Niets om opnieuw te proberen" in page and len(smtp.messages) == before


def test_retry_needs_the_csrf_token(client, world):
    assert client.post(f"/team/desk/{SLUG}/deliveries/retry").status_code in (400, 403)
    assert state_of(world[0], FULL).status == "failed"


def test_an_issue_with_failures_is_never_simply_sent_on_the_other_pages(client):
    listing = client.get("/team/desk").get_data(as_text=True)
    item = re.search(rf'<li class="issue" data-slug="{SLUG}".*?</li>', listing, re.S).group(0)
    assert "Verzonden, niet aan iedereen" in item and "3 mislukt" in item
    assert f'href="/team/desk/{SLUG}/deliveries"' in item
    send = client.get(f"/team/desk/{SLUG}/send").get_data(as_text=True)
    assert re.search(r'id="state" data-state="sent">Verzonden, niet aan iedereen<', send)
    assert f'href="/team/desk/{SLUG}/deliveries"' in send
    overview = client.get("/team/newsletters").get_data(as_text=True)
    row = re.search(rf'<tr data-slug="{SLUG}".*?</tr>', overview, re.S).group(0)
    assert "Verzonden, niet aan iedereen" in row and "3 mislukt" in row
    issue = client.get(f"/team/newsletters/{SLUG}").get_data(as_text=True)
    assert "Verzonden, niet aan iedereen" in issue


def test_a_clean_send_is_simply_sent(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        auth.create_user(rt.db, "cxo", PASSWORD)
        store.add(rt.db, FINE, "", status="active", source="test", method="import")
        send_newsletter(rt, SLUG)
    c = create_app(rt, testing=True).test_client()
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/team/login").get_data(as_text=True)).group(1)
    c.post("/team/login", data={"name": "cxo", "password": PASSWORD, "csrf_token": tok})
    page = c.get(f"/team/desk/{SLUG}/deliveries").get_data(as_text=True)
    assert re.search(r'id="state" data-state="sent">Verzonden<', page) and 'id="trouble"' not in page
    assert "niet aan iedereen" not in c.get("/team/desk").get_data(as_text=True)
    rt.close()


def test_waiting_deliveries_show_on_every_page_and_retry_sends_them_now(tmp_path):
    rt, smtp, faults = sent_with_faults(tmp_path, smtp={"max_attempts": 2, "retry_lifetime": 3600})
    try:
        assert state_of(rt, FULL).status == "waiting" and newsletters.get(rt.db, SLUG).status == "sending"
        c = create_app(rt, testing=True).test_client()
        tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/team/login").get_data(as_text=True)).group(1)
        c.post("/team/login", data={"name": "cxo", "password": PASSWORD, "csrf_token": tok})
        page = c.get(f"/team/desk/{SLUG}/deliveries").get_data(as_text=True)
        assert re.search(r'id="trouble">2 mislukt, 1 wachten op een nieuwe poging<', page)
        assert "Tijdelijk probleem: wordt opnieuw geprobeerd vanaf" in row_html(page, FULL)
        for path in ("/team/desk", f"/team/desk/{SLUG}/send", "/team/newsletters"):
            assert "1 wachten op een nieuwe poging" in c.get(path).get_data(as_text=True), path
        faults.full_fixed.set()
        page = c.get(c.post(f"/team/desk/{SLUG}/deliveries/retry", data={"csrf_token": csrf(c)})
                     .headers["Location"]).get_data(as_text=True)
        assert "Wordt opnieuw geprobeerd: 0 mislukte en 1 wachtende bezorgingen." in page
        wait_for(lambda: state_of(rt, FULL).status == "sent")
        assert state_of(rt, REFUSED).status == "failed" and faults.seen[REFUSED] == 1
    finally:
        smtp.stop()
        rt.close()
