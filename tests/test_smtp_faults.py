"""SMTP faults against a real aiosmtpd server: 550/451/452/421 on chosen recipients, dropped and stalled
connections, a server that restarts mid-send, one that goes away, and one that is not there at all.
Temporary trouble makes deliveries wait and be tried again; only a 5xx or an exhausted lifetime fails."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer.stores import newsletters
from mailer.errors import SmtpUnavailable
from mailer.localservers import CollectingHandler, LocalSmtpServer, free_port
from mailer.send.sender import retry_waiting, send_newsletter
from mailer.stores import deliveries
from subscribers import store


class FlakyHandler(CollectingHandler):
    """Drops the connection at DATA for chosen recipients (``drop``: how often), answers DATA with a
    fixed reply for others, or stalls (``stall``: seconds) before answering."""

    def __init__(self, drop: dict[str, int] | None = None, data_reply: dict[str, str] | None = None,
                 stall: dict[str, float] | None = None, pipelining: bool = False) -> None:
        super().__init__()
        self.drop = dict(drop or {})
        self.data_reply = dict(data_reply or {})
        self.stall = dict(stall or {})
        self.pipelining = pipelining

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
        """Advertise PIPELINING (RFC 2920) when asked, as Postfix does, so both paths are tested."""
        session.host_name = hostname
        return [responses[0], "250-PIPELINING", *responses[1:]] if self.pipelining else responses

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        rcpt = envelope.rcpt_tos[0]
        if self.drop.get(rcpt, 0) > 0:
            self.drop[rcpt] -= 1
            server.transport.close()
            return "421 4.4.2 connection dropped"
        if rcpt in self.stall:
            await asyncio.sleep(self.stall[rcpt])
            return "451 4.4.2 too late"
        if rcpt in self.data_reply:
            return self.data_reply[rcpt]
        return await super().handle_DATA(server, session, envelope)


both_paths = pytest.mark.parametrize("pipelining", [False, True], ids=["plain", "pipelined"])


def _counts(rt):
    return deliveries.count_by_status(rt.db, newsletters.get(rt.db, SLUG).id)


def _row(rt, email):
    return rt.db.execute("SELECT status, attempts, last_error, retryable FROM deliveries WHERE email = ?",
                         [email]).fetchone()


@both_paths
def test_550_5_1_1_is_a_hard_bounce_that_suppresses(tmp_path, pipelining):
    with LocalSmtpServer(handler=FlakyHandler(pipelining=pipelining)) as smtp:
        smtp.handler.rcpt_hook = lambda a: "550 5.1.1 <lezer1@example.org>: user unknown" if a == "lezer1@example.org" else None
        rt = make_runtime(tmp_path, smtp.port)
        subs = add_subscribers(rt, 3)
        report = send_newsletter(rt, SLUG)
        assert (report.sent, report.bounced, report.failed) == (2, 1, 0)
    status, _, error, _ = _row(rt, subs[1].email)
    assert status == "bounced" and "5.1.1" in error and "user unknown" in error
    assert store.get(rt.db, subs[1].id).status == "bounced"
    assert store.is_suppressed(rt.db, subs[1].email)
    assert newsletters.get(rt.db, SLUG).status == "sent"


@both_paths
def test_5xx_on_the_message_fails_that_delivery_for_good_with_the_servers_text(tmp_path, pipelining):
    handler = FlakyHandler(data_reply={"lezer0@example.org": "554 5.7.1 message refused as spam"}, pipelining=pipelining)
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        subs = add_subscribers(rt, 2)
        report = send_newsletter(rt, SLUG)
    assert (report.sent, report.failed, report.retryable) == (1, 1, 0)
    assert _row(rt, subs[0].email) == ("failed", 1, "554 5.7.1 message refused as spam", 0)
    assert store.get(rt.db, subs[0].id).status == "active"   # not a bounce: the address stays
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "sent" and "1 deliveries failed" in row.status_reason


@both_paths
def test_451_is_retried_then_sent(tmp_path, pipelining):
    seen: dict[str, int] = {}

    def greylist(address: str):
        seen[address] = seen.get(address, 0) + 1
        if address == "lezer2@example.org" and seen[address] <= 2:
            return "451 4.7.1 greylisted, try again"
        return None

    with LocalSmtpServer(handler=FlakyHandler(pipelining=pipelining)) as smtp:
        smtp.handler.rcpt_hook = greylist
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 3)
        report = send_newsletter(rt, SLUG)
        assert report.sent == 3 and report.failed == 0 and report.complete
        assert seen["lezer2@example.org"] == 3
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [f"lezer{i}@example.org" for i in range(3)]
    assert _row(rt, "lezer2@example.org")[:2] == ("sent", 3)


def test_4xx_after_max_attempts_waits_in_the_queue_not_failed(tmp_path):
    with LocalSmtpServer(handler=FlakyHandler()) as smtp:
        smtp.handler.rcpt_hook = lambda a: "452 4.2.2 mailbox full" if a == "lezer0@example.org" else None
        rt = make_runtime(tmp_path, smtp.port, smtp={"max_attempts": 3})
        add_subscribers(rt, 2)
        report = send_newsletter(rt, SLUG)
    assert (report.sent, report.failed, report.waiting) == (1, 0, 1)
    status, attempts, error, _ = _row(rt, "lezer0@example.org")
    assert (status, attempts) == ("waiting", 3) and error == "452 4.2.2 mailbox full"
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "sending" and "wait for a retry" in row.status_reason


def test_a_temporary_failure_fails_only_when_its_lifetime_is_over(tmp_path):
    with LocalSmtpServer(handler=FlakyHandler()) as smtp:
        smtp.handler.rcpt_hook = lambda a: "450 4.2.0 try later" if a == "lezer0@example.org" else None
        rt = make_runtime(tmp_path, smtp.port, smtp={"max_attempts": 50, "retry_lifetime": 0.6})
        add_subscribers(rt, 2)
        report = send_newsletter(rt, SLUG)
    status, attempts, error, retryable = _row(rt, "lezer0@example.org")
    assert status == "failed" and retryable == 1 and attempts >= 3
    assert "450 4.2.0 try later" in error and "gave up" in error
    assert report.failed == 1 and report.retryable == 1 and newsletters.get(rt.db, SLUG).status == "sent"


@both_paths
def test_421_on_a_recipient_reconnects_and_sends(tmp_path, pipelining):
    said = []

    def closing(address: str):
        if address == "lezer1@example.org" and not said:
            said.append(address)
            return "421 4.3.2 service shutting down"
        return None

    with LocalSmtpServer(handler=FlakyHandler(pipelining=pipelining)) as smtp:
        smtp.handler.rcpt_hook = closing
        rt = make_runtime(tmp_path, smtp.port, smtp={"connections": 1})
        add_subscribers(rt, 3)
        report = send_newsletter(rt, SLUG)
        assert report.sent == 3 and said
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [f"lezer{i}@example.org" for i in range(3)]


@both_paths
def test_dropped_connection_is_retried(tmp_path, pipelining):
    handler = FlakyHandler(drop={"lezer0@example.org": 2}, pipelining=pipelining)
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 4)
        report = send_newsletter(rt, SLUG)
        assert report.sent == 4
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [f"lezer{i}@example.org" for i in range(4)]
    assert _counts(rt)["sent"] == 4 and _row(rt, "lezer0@example.org")[:2] == ("sent", 3)


def test_a_stalled_server_is_a_timeout_and_the_delivery_waits(tmp_path):
    handler = FlakyHandler(stall={"lezer1@example.org": 1.0})
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port, smtp={"connections": 1, "timeout": 0.4, "max_attempts": 2})
        add_subscribers(rt, 3)
        report = send_newsletter(rt, SLUG)
        status, attempts, error, _ = _row(rt, "lezer1@example.org")
        assert (status, attempts, report.waiting, report.sent) == ("waiting", 2, 1, 2)
        assert "timed out" in error and "0.4 s" in error and "closed" not in error
        handler.stall.clear()   # the server answers again: the retry tick delivers it
        rt.db.execute("UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00+00:00' WHERE status = 'waiting'")
        assert retry_waiting(rt) == [SLUG]
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [f"lezer{i}@example.org" for i in range(3)]
    assert newsletters.get(rt.db, SLUG).status == "sent"


def test_server_restart_mid_send_is_survived(tmp_path):
    port = free_port()
    handler = FlakyHandler()
    servers = [LocalSmtpServer(port=port, handler=handler).start()]
    restarted = threading.Event()

    def restart():
        servers[0].stop()
        time.sleep(0.4)
        servers.append(LocalSmtpServer(port=port, handler=handler).start())
        restarted.set()

    def hook(address: str):
        if address == "lezer10@example.org" and not restarted.is_set() and len(servers) == 1:
            threading.Thread(target=restart).start()
        return None

    handler.rcpt_hook = hook
    try:
        rt = make_runtime(tmp_path, port, smtp={"connections": 2, "max_attempts": 8, "rate_per_second": 100})
        add_subscribers(rt, 30)
        report = send_newsletter(rt, SLUG)
        assert restarted.is_set()
        assert report.status == "sent" and report.sent == 30
        got = {m.rcpt_tos[0] for m in handler.messages}
        assert got == {f"lezer{i}@example.org" for i in range(30)}
        assert len(handler.messages) <= 30 + 2   # at most one extra per connection
    finally:
        servers[-1].stop()


def test_server_gone_midway_leaves_the_rest_waiting_and_the_retry_tick_finishes(tmp_path):
    port = free_port()
    handler = FlakyHandler()
    smtp = LocalSmtpServer(port=port, handler=handler).start()
    stopped = threading.Event()

    def hook(address: str):
        if address == "lezer5@example.org" and not stopped.is_set():
            stopped.set()
            threading.Thread(target=smtp.stop).start()
        return None

    handler.rcpt_hook = hook
    rt = make_runtime(tmp_path, port, smtp={"connections": 1, "max_attempts": 3, "rate_per_second": 200})
    add_subscribers(rt, 20)
    report = send_newsletter(rt, SLUG)
    assert report.status == "sending" and report.waiting == 20 - report.sent
    counts = _counts(rt)
    assert counts["sent"] == len(handler.messages) < 20
    assert counts["waiting"] == 20 - counts["sent"] and counts["pending"] == counts["sending"] == counts["failed"] == 0
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "sending" and "wait for a retry" in row.status_reason
    handler.rcpt_hook = None
    with LocalSmtpServer(port=port, handler=handler):
        rt.db.execute("UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00+00:00' WHERE status = 'waiting'")
        assert retry_waiting(rt) == [SLUG]
    assert {m.rcpt_tos[0] for m in handler.messages} == {f"lezer{i}@example.org" for i in range(20)}
    assert newsletters.get(rt.db, SLUG).status == "sent"


def test_unreachable_at_start_pauses_and_marks_nothing_sent(tmp_path):
    port = free_port()
    rt = make_runtime(tmp_path, port)
    add_subscribers(rt, 3)
    with pytest.raises(SmtpUnavailable) as err:
        send_newsletter(rt, SLUG)
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "[smtp]" in message and "\n" not in message
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "paused" and f"127.0.0.1:{port}" in row.status_reason
    assert rt.db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").fetchone()[0] == 0
