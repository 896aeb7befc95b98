"""Sending to a real aiosmtpd server: one message per subscriber, the ledger, no second copies."""

from __future__ import annotations

import threading
import time
from email import message_from_bytes
from email.policy import default

import pytest
from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer import tokens
from mailer.stores import newsletters
from mailer.localservers import LocalSmtpServer
from mailer.runtime import Runtime
from mailer.schedule.planning import pause, resume
from mailer.send import queue
from mailer.send.lock import send_lock
from mailer.send.sender import SendBusy, load_newsletter, send_newsletter, send_test
from mailer.stores import deliveries
from subscribers import store


@pytest.fixture
def smtp():
    with LocalSmtpServer() as server:
        yield server


def test_one_message_per_subscriber_with_the_right_headers(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port)
    subs = add_subscribers(rt, 12)
    report = send_newsletter(rt, SLUG)
    assert (report.sent, report.failed, report.bounced, report.status) == (12, 0, 0, "sent")
    assert len(smtp.messages) == 12
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "sent" and row.finished_at is not None
    by_rcpt = {m.rcpt_tos[0]: m for m in smtp.messages}
    assert set(by_rcpt) == {s.email for s in subs}
    for sub in subs:
        m = by_rcpt[sub.email]
        msg = message_from_bytes(m.data, policy=default)
        delivery = deliveries.by_message_id(rt.db, msg["Message-ID"])
        assert delivery is not None and delivery.subscriber_id == sub.id and delivery.status == "sent"
        assert msg["Message-ID"].endswith("@verkenning.example.nl>")
        reply = tokens.read_reply_address(rt.key, str(msg["Reply-To"]))
        assert (reply.newsletter_id, reply.subscriber_id, reply.theme_index) == (row.id, sub.id, 0)
        assert tokens.read_bounce_address(rt.key, m.mail_from) == delivery.id   # VERP Return-Path
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg["To"].addresses[0].addr_spec == sub.email
    assert deliveries.latest_to(rt.db, subs[0].email).subscriber_id == subs[0].id
    assert deliveries.get(rt.db, deliveries.latest_to(rt.db, subs[0].email).id).status == "sent"


def test_second_send_sends_nobody_a_second_copy(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port)
    add_subscribers(rt, 5)
    send_newsletter(rt, SLUG)
    again = send_newsletter(rt, SLUG)
    assert again.already_sent and again.sent == 0 and again.skipped_already_sent == 5
    assert len(smtp.messages) == 5


def test_suppressed_and_inactive_subscribers_are_skipped(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port)
    subs = add_subscribers(rt, 4)
    store.set_status(rt.db, subs[1].id, "unsubscribed", method="cli")
    store.add(rt.db, "wacht@example.org", status="pending")
    store.suppress(rt.db, subs[2].email, "manual")       # suppressed but still 'active'
    report = send_newsletter(rt, SLUG)
    assert {m.rcpt_tos[0] for m in smtp.messages} == {subs[0].email, subs[3].email}
    assert report.sent == 2
    nid = newsletters.get(rt.db, SLUG).id
    assert deliveries.count_by_status(rt.db, nid)["suppressed"] == 1


def test_subscriber_who_leaves_midway_is_not_mailed(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port)
    subs = add_subscribers(rt, 3)
    nid = newsletters.sync(rt.db, load_newsletter(rt, SLUG)[0]).id
    queue.enqueue(rt.db, nid, "verkenning.example.nl")
    store.set_status(rt.db, subs[0].id, "unsubscribed", method="link")
    report = send_newsletter(rt, SLUG)
    assert report.sent == 2 and report.suppressed == 1
    assert subs[0].email not in {m.rcpt_tos[0] for m in smtp.messages}


def test_pause_by_hand_stops_a_running_send_and_resume_finishes_it(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port, smtp={"rate_per_second": 40, "connections": 2})
    add_subscribers(rt, 60)

    def pause_soon():
        time.sleep(0.3)
        other = Runtime(rt.config)
        pause(other, SLUG)
        other.close()

    t = threading.Thread(target=pause_soon)
    t.start()
    report = send_newsletter(rt, SLUG)
    t.join()
    assert report.status == "paused" and "by hand" in report.paused_reason
    assert 0 < report.sent < 50
    assert newsletters.get(rt.db, SLUG).status == "paused"
    resume(rt, SLUG)
    rest = send_newsletter(rt, SLUG)
    assert rest.status == "sent" and report.sent + rest.sent == 60
    rcpts = [m.rcpt_tos[0] for m in smtp.messages]
    assert len(rcpts) == len(set(rcpts)) == 60   # a clean pause loses nobody and doubles nobody


def test_a_second_sender_is_refused_while_one_runs(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port)
    add_subscribers(rt, 1)
    nid = newsletters.sync(rt.db, load_newsletter(rt, SLUG)[0]).id
    with send_lock(rt.config.database_path, nid):
        with pytest.raises(SendBusy, match="another process"):
            send_newsletter(rt, SLUG)
    assert send_newsletter(rt, SLUG).sent == 1


def test_send_test_goes_to_one_address_and_not_into_the_ledger(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port)
    add_subscribers(rt, 3)
    message_id = send_test(rt, SLUG, "Ik@Example.org")
    assert len(smtp.messages) == 1 and smtp.messages[0].rcpt_tos == ["ik@example.org"]
    msg = message_from_bytes(smtp.messages[0].data, policy=default)
    assert msg["Subject"].startswith("[TEST] ") and msg["Message-ID"] == message_id
    assert rt.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0
    assert rt.db.execute("SELECT email FROM test_sends").fetchall() == [("ik@example.org",)]
    assert newsletters.get(rt.db, SLUG).status == "draft"


def test_rate_limit_per_second_is_respected(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port, smtp={"rate_per_second": 20, "connections": 3})
    add_subscribers(rt, 11)
    started = time.monotonic()
    send_newsletter(rt, SLUG)
    assert time.monotonic() - started >= 0.45   # 11 messages at 20/s: at least 0.5 s minus the first slot
    assert len(smtp.messages) == 11


def test_daily_quota_stops_and_reschedules(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port, smtp={"daily_quota": 4})
    add_subscribers(rt, 6)
    report = send_newsletter(rt, SLUG)
    assert report.sent == 4 and report.status == "scheduled"
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "scheduled" and "daily quota of 4" in row.status_reason
    assert row.send_at is not None
    assert len(smtp.messages) == 4


def test_internationalised_domains_go_out_in_idna_form(tmp_path, smtp):
    rt = make_runtime(tmp_path, smtp.port)
    sub = store.add(rt.db, "Anne@Bücherei.example", "Anne")
    report = send_newsletter(rt, SLUG)
    assert report.sent == 1
    assert smtp.messages[0].rcpt_tos == ["anne@xn--bcherei-n2a.example"]
    msg = message_from_bytes(smtp.messages[0].data, policy=default)
    assert msg["To"].addresses[0].domain == "xn--bcherei-n2a.example"
    assert deliveries.latest_to(rt.db, sub.email).status == "sent"
