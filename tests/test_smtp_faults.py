"""SMTP faults against a real aiosmtpd server: 550/451/421 on chosen recipients, dropped connections,
a server that restarts mid-send, one that goes away, and one that is not there at all."""

from __future__ import annotations

import threading
import time

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer.stores import newsletters
from mailer.errors import SmtpUnavailable
from mailer.localservers import CollectingHandler, LocalSmtpServer, free_port
from mailer.send import ledger
from mailer.send.sender import send_newsletter
from subscribers import store

FAST = 0.02  # back-off base for tests

both_paths = pytest.mark.parametrize("pipelining", [False, True], ids=["plain", "pipelined"])


class FlakyHandler(CollectingHandler):
    """Answers DATA for chosen recipients by dropping the connection, or with a fixed reply, ``times`` times."""

    def __init__(self, drop: dict[str, int] | None = None, data_reply: dict[str, str] | None = None,
                 pipelining: bool = False) -> None:
        super().__init__()
        self.drop = dict(drop or {})
        self.data_reply = dict(data_reply or {})
        self.pipelining = pipelining

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
        """Advertise PIPELINING (RFC 2920) when asked, so both send paths are tested."""
        session.host_name = hostname
        if self.pipelining:
            return [responses[0], "250-PIPELINING", *responses[1:]]
        return responses

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        rcpt = envelope.rcpt_tos[0]
        if self.drop.get(rcpt, 0) > 0:
            self.drop[rcpt] -= 1
            server.transport.close()
            return "421 4.4.2 connection dropped"
        if rcpt in self.data_reply:
            return self.data_reply[rcpt]
        return await super().handle_DATA(server, session, envelope)


def _counts(rt):
    return ledger.counts(rt.db, newsletters.get(rt.db, SLUG).id)


@both_paths
def test_550_5_1_1_is_a_hard_bounce_that_suppresses(tmp_path, pipelining):
    with LocalSmtpServer(handler=FlakyHandler(pipelining=pipelining)) as smtp:
        smtp.handler.rcpt_hook = lambda a: "550 5.1.1 <lezer1@example.org>: user unknown" if a == "lezer1@example.org" else None
        rt = make_runtime(tmp_path, smtp.port)
        subs = add_subscribers(rt, 3)
        report = send_newsletter(rt, SLUG, backoff=FAST)
        assert (report.sent, report.bounced, report.failed) == (2, 1, 0)
    bounced = rt.db.execute("SELECT status, last_error FROM deliveries WHERE email = ?", [subs[1].email]).fetchone()
    assert bounced[0] == "bounced" and "5.1.1" in bounced[1] and "user unknown" in bounced[1]
    assert store.get(rt.db, subs[1].id).status == "bounced"
    assert store.is_suppressed(rt.db, subs[1].email)
    assert newsletters.get(rt.db, SLUG).status == "sent"


@both_paths
def test_5xx_on_the_message_fails_that_delivery_with_the_servers_text(tmp_path, pipelining):
    handler = FlakyHandler(data_reply={"lezer0@example.org": "554 5.7.1 message refused as spam"}, pipelining=pipelining)
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        subs = add_subscribers(rt, 2)
        report = send_newsletter(rt, SLUG, backoff=FAST)
    assert (report.sent, report.failed) == (1, 1)
    row = rt.db.execute("SELECT status, last_error FROM deliveries WHERE email = ?", [subs[0].email]).fetchone()
    assert row == ("failed", "554 5.7.1 message refused as spam")
    assert store.get(rt.db, subs[0].id).status == "active"   # not a bounce: the address stays


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
        report = send_newsletter(rt, SLUG, backoff=FAST)
        assert report.sent == 3 and report.failed == 0
        assert seen["lezer2@example.org"] == 3
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [f"lezer{i}@example.org" for i in range(3)]
    attempts = rt.db.execute("SELECT attempts FROM deliveries WHERE email = 'lezer2@example.org'").fetchone()[0]
    assert attempts == 3


@both_paths
def test_4xx_until_max_attempts_fails_with_the_text(tmp_path, pipelining):
    with LocalSmtpServer(handler=FlakyHandler(pipelining=pipelining)) as smtp:
        smtp.handler.rcpt_hook = lambda a: "452 4.2.2 mailbox full" if a == "lezer0@example.org" else None
        rt = make_runtime(tmp_path, smtp.port, smtp={"max_attempts": 3})
        add_subscribers(rt, 2)
        report = send_newsletter(rt, SLUG, backoff=FAST)
    assert (report.sent, report.failed) == (1, 1)
    err = rt.db.execute("SELECT last_error FROM deliveries WHERE email = 'lezer0@example.org'").fetchone()[0]
    assert "452 4.2.2 mailbox full" in err and "3 attempts" in err


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
        report = send_newsletter(rt, SLUG, backoff=FAST)
        assert report.sent == 3 and said
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [f"lezer{i}@example.org" for i in range(3)]


@both_paths
def test_dropped_connection_is_retried(tmp_path, pipelining):
    handler = FlakyHandler(drop={"lezer0@example.org": 2}, pipelining=pipelining)
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 4)
        report = send_newsletter(rt, SLUG, backoff=FAST)
        assert report.sent == 4
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [f"lezer{i}@example.org" for i in range(4)]
    assert _counts(rt)["sent"] == 4


@both_paths
def test_server_restart_mid_send_is_survived(tmp_path, pipelining):
    port = free_port()
    handler = FlakyHandler(pipelining=pipelining)
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
        rt = make_runtime(tmp_path, port, smtp={"connections": 2, "max_attempts": 6, "rate_per_second": 100})
        add_subscribers(rt, 30)
        report = send_newsletter(rt, SLUG, backoff=0.1)
        assert restarted.is_set()
        assert report.status == "sent" and report.sent == 30
        got = {m.rcpt_tos[0] for m in handler.messages}
        assert got == {f"lezer{i}@example.org" for i in range(30)}
        assert len(handler.messages) <= 30 + 2   # at most one extra per connection
    finally:
        servers[-1].stop()


def test_server_gone_midway_pauses_with_a_reason(tmp_path):
    port = free_port()
    smtp = LocalSmtpServer(port=port).start()
    stopped = threading.Event()

    def hook(address: str):
        if address == "lezer5@example.org" and not stopped.is_set():
            stopped.set()
            threading.Thread(target=smtp.stop).start()
        return None

    smtp.handler.rcpt_hook = hook
    rt = make_runtime(tmp_path, port, smtp={"connections": 1, "max_attempts": 3, "rate_per_second": 200})
    add_subscribers(rt, 20)
    report = send_newsletter(rt, SLUG, backoff=FAST)
    assert report.status == "paused"
    assert f"127.0.0.1:{port}" in report.paused_reason and "midway" in report.paused_reason
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "paused" and "mailer resume" in row.status_reason
    counts = _counts(rt)
    assert counts["sent"] == len(smtp.messages) < 20
    assert counts["pending"] == 20 - counts["sent"] and counts["sending"] == 0 and counts["failed"] == 0


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


def test_pipelining_is_used_when_the_server_offers_it():
    from mailer.config import SmtpConfig
    from mailer.send.transport import SmtpConnection

    for offered in (False, True):
        handler = FlakyHandler(pipelining=offered)
        with LocalSmtpServer(handler=handler) as smtp:
            conn = SmtpConnection(SmtpConfig(host="127.0.0.1", port=smtp.port))
            conn.connect()
            assert conn.pipelining is offered
            assert conn.send("b@example.org", "a@example.org", b"Subject: x\r\n\r\n.dot\r\n").status == "sent"
            assert conn.send("b@example.org", "a@example.org", b"Subject: y\r\n\r\nok\r\n").status == "sent"
            conn.close()
            assert [m.data.split(b"\r\n\r\n", 1)[1] for m in smtp.messages] == [b".dot\r\n", b"ok\r\n"]


class GreylistBodyHandler(FlakyHandler):
    """451 on the body of chosen recipients, ``times`` times each (after the envelope was accepted)."""

    def __init__(self, times: dict[str, int]) -> None:
        super().__init__(pipelining=True)
        self.times = dict(times)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        rcpt = envelope.rcpt_tos[0]
        if self.times.get(rcpt, 0) > 0:
            self.times[rcpt] -= 1
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


def test_4xx_on_a_body_with_the_next_envelope_announced_delivers_each_once(tmp_path):
    """With PIPELINING the next message's MAIL/RCPT/DATA follow each body; when a body is refused
    for now, that announced transaction is abandoned (never given a body) and both are sent once."""
    handler = GreylistBodyHandler({"lezer1@example.org": 1, "lezer4@example.org": 2})
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port, smtp={"connections": 1, "max_attempts": 4})
        add_subscribers(rt, 6)
        report = send_newsletter(rt, SLUG, backoff=FAST)
        assert (report.sent, report.failed) == (6, 0)
        got = sorted(m.rcpt_tos[0] for m in smtp.messages)
    assert got == [f"lezer{i}@example.org" for i in range(6)]
    assert all(m.data.count(b"List-Unsubscribe-Post") == 1 for m in smtp.messages)   # no empty bodies
    attempts = dict(rt.db.execute("SELECT email, attempts FROM deliveries").fetchall())
    assert attempts["lezer1@example.org"] == 2 and attempts["lezer4@example.org"] == 3
    assert attempts["lezer0@example.org"] == attempts["lezer5@example.org"] == 1


def test_the_next_envelope_travels_with_the_previous_body(tmp_path):
    """One round trip per message: the server sees MAIL FROM of message n+1 in the same read as
    the end of message n's body (checked by the number of separate socket writes it takes)."""
    from mailer.config import SmtpConfig
    from mailer.send.transport import SmtpConnection

    with LocalSmtpServer(handler=FlakyHandler(pipelining=True)) as smtp:
        conn = SmtpConnection(SmtpConfig(host="127.0.0.1", port=smtp.port))
        conn.connect()
        writes: list[bytes] = []
        sock = conn.smtp.sock
        real_sendmsg, real_sendall = sock.sendmsg, sock.sendall

        class Spy:
            def __getattr__(self, name):
                return getattr(sock, name)

            def sendmsg(self, buffers, *a):
                writes.append(b"".join(bytes(b) for b in buffers))
                return real_sendmsg(buffers, *a)

            def sendall(self, data, *a):
                writes.append(bytes(data))
                return real_sendall(data, *a)

        conn.smtp.sock = Spy()
        envs = [(f"b{i}@example.org", f"a{i}@example.org", b"Subject: %d\r\n\r\nbody\r\n" % i) for i in range(3)]
        for i, (frm, to, data) in enumerate(envs):
            nxt = envs[i + 1] if i + 1 < len(envs) else None
            out = conn.send(frm, to, data, following=(nxt[0], nxt[1], len(nxt[2])) if nxt else None)
            assert out.status == "sent"
        conn.close()
        assert [m.rcpt_tos[0] for m in smtp.messages] == ["a0@example.org", "a1@example.org", "a2@example.org"]
    # envelope 0, then body 0 + envelope 1, body 1 + envelope 2, body 2 (+ QUIT)
    assert writes[0].startswith(b"MAIL FROM:<b0@example.org>")
    assert writes[1].startswith(b"Subject: 0") and b".\r\nMAIL FROM:<b1@example.org>" in writes[1]
    assert writes[2].startswith(b"Subject: 1") and b".\r\nMAIL FROM:<b2@example.org>" in writes[2]
    assert writes[3].startswith(b"Subject: 2") and b"MAIL FROM" not in writes[3]
