"""The desk's test and send page through Flask's test client, against a real SMTP server (aiosmtpd):
test copies, scheduling in Amsterdam time, pause/resume/unschedule, and send now after confirming."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from support.waiting import wait_for

from mailer.stores import newsletters
from mailer.config import load_config
from conftest import PROJECT_ROOT
from mailer.runtime import Runtime
from mailer.web import auth, create_app
from subscribers import store
from conftest import write_config

PASSWORD = "correct horse battery"
SLUG = "2026-11-samen-verder"
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def rt(tmp_path: Path, smtp_server):
    folder = tmp_path / "newsletters"
    shutil.copytree(PROJECT_ROOT / "newsletters", folder)
    runtime = Runtime(load_config(write_config(tmp_path, smtp_server.port, content={"newsletters_dir": str(folder)},
                                               smtp={"connections": 1})))
    auth.create_user(runtime.db, "anna", PASSWORD)
    for i in range(3):
        store.add(runtime.db, f"lezer{i}@example.org", f"Lezer {i}", status="active", source="test", method="import")
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt):
    c = create_app(rt, testing=True).test_client()
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/team/login").get_data(as_text=True)).group(1)
    assert c.post("/team/login", data={"name": "anna", "password": PASSWORD, "csrf_token": tok}).status_code == 302
    return c


def csrf(client) -> str:
    page = client.get(f"/team/desk/{SLUG}/send").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def parsed(smtp_server):
    return [email.message_from_bytes(m.data, policy=email.policy.default) for m in smtp_server.messages]



def test_send_test_to_own_address_and_colleagues(client, rt, smtp_server):
    page = follow(client, client.post(f"/team/desk/{SLUG}/test", data={
        "csrf_token": csrf(client), "addresses": "cxo@example.nl\ncollega@example.nl, cxo@example.nl"}))
    assert "Testversie verstuurd naar cxo@example.nl." in page and "Testversie verstuurd naar collega@example.nl." in page
    msgs = parsed(smtp_server)
    assert sorted(m["To"] for m in msgs) == ["collega@example.nl", "cxo@example.nl"]
    assert all(m["Subject"].startswith("[TEST] ") for m in msgs)
    body = msgs[0].get_body(("html",)).get_content()
    assert f"/archief/{SLUG}" in body and "Bekijk deze nieuwsbrief in uw browser" in body
    assert "cxo@example.nl\ncollega@example.nl</textarea>" in page       # remembered for next time
    assert 'id="recent-tests"' in page
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "draft"   # a test is not a send


def test_bad_test_address_sends_nothing(client, smtp_server):
    page = follow(client, client.post(f"/team/desk/{SLUG}/test", data={
        "csrf_token": csrf(client), "addresses": "cxo@example.nl\nniet-een-adres"}))
    assert "niet-een-adres is geen e-mailadres" in page and smtp_server.messages == []
    page = follow(client, client.post(f"/team/desk/{SLUG}/test", data={"csrf_token": csrf(client), "addresses": " "}))
    assert "Vul minstens één adres in" in page


def test_schedule_in_amsterdam_time_then_pause_resume_unschedule(client, rt):
    when = (datetime.now(AMS) + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
    page = follow(client, client.post(f"/team/desk/{SLUG}/schedule", data={
        "csrf_token": csrf(client), "send_at": when.strftime("%Y-%m-%dT%H:%M")}))
    assert f"Ingepland voor {when:%Y-%m-%d} 09:00" in page
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "scheduled" and row.send_at == when.astimezone(timezone.utc)
    assert 'id="pause"' in page and 'id="unschedule"' in page
    page = follow(client, client.post(f"/team/desk/{SLUG}/pause", data={"csrf_token": csrf(client)}))
    assert "Gepauzeerd." in page and newsletters.get(rt.db, SLUG).status == "paused"
    page = follow(client, client.post(f"/team/desk/{SLUG}/resume", data={"csrf_token": csrf(client)}))
    assert "Hervat" in page and newsletters.get(rt.db, SLUG).status == "scheduled"
    page = follow(client, client.post(f"/team/desk/{SLUG}/unschedule", data={"csrf_token": csrf(client)}))
    assert "weer een concept" in page
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "draft" and row.send_at is None


@pytest.mark.parametrize("value, words", [
    ("2020-01-01T09:00", "is al voorbij"),
    ("2099-03-29T02:30", "bestaat niet in Europe/Amsterdam"),   # clocks jump forward that night
    ("volgende week", "Geen geldige tijd"),
])
def test_schedule_refuses_impossible_times_in_dutch(client, rt, value, words):
    page = follow(client, client.post(f"/team/desk/{SLUG}/schedule", data={"csrf_token": csrf(client),
                                                                          "send_at": value}))
    assert words in page
    row = newsletters.find(rt.db, SLUG)
    assert row is None or row.status == "draft"


def test_nothing_to_pause_is_a_message_not_an_error(client):
    page = follow(client, client.post(f"/team/desk/{SLUG}/pause", data={"csrf_token": csrf(client)}))
    assert "niets te pauzeren" in page


def test_send_now_names_the_number_of_subscribers_before_sending(client, rt, smtp_server):
    confirm = client.get(f"/team/desk/{SLUG}/send-now").get_data(as_text=True)
    assert "Dit nummer gaat naar 3 abonnees." in confirm
    tok = re.search(r'name="csrf_token" value="([^"]+)"', confirm).group(1)
    # someone subscribed in the meantime: the number is shown again, nothing is sent
    store.add(rt.db, "nieuw@example.org", "", status="active", source="test", method="import")
    again = client.post(f"/team/desk/{SLUG}/send-now", data={"csrf_token": tok, "recipients": "3"})
    assert again.status_code == 409 and "Dit nummer gaat naar 4 abonnees." in again.get_data(as_text=True)
    assert smtp_server.messages == []
    page = follow(client, client.post(f"/team/desk/{SLUG}/send-now", data={"csrf_token": tok, "recipients": "4"}))
    assert "Het versturen naar 4 abonnees is begonnen." in page
    # the send thread creates the newsletter's row: it may not exist yet
    wait_for(lambda: getattr(newsletters.find(rt.db, SLUG), "status", None) == "sent")
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(
        [f"lezer{i}@example.org" for i in range(3)] + ["nieuw@example.org"])
    state = client.get(f"/team/desk/{SLUG}/state").get_json()
    assert state.pop("counts")["sent"] == 4    # every state on its own, for the deliveries page
    assert state == {"status": "sent", "label": "Verzonden", "sent": 4, "failed": 0, "waiting": 0, "pending": 0}
    page = client.get(f"/team/desk/{SLUG}/send").get_data(as_text=True)
    assert 'id="send-now"' not in page and f"/archief/{SLUG}" in page
    gone = client.post(f"/team/desk/{SLUG}/send-now", data={"csrf_token": tok, "recipients": "4"})
    assert "al verzonden" in follow(client, gone)
    assert len(smtp_server.messages) == 4
