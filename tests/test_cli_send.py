"""`mailer send`, `mailer retry` and `mailer deliveries` on the command line over a real SMTP server."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner
from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer.stores import newsletters
from mailer.cli import main
from mailer.localservers import CollectingHandler, LocalSmtpServer, free_port
from mailer.stores import deliveries
from subscribers import store


def _run(rt, *args):
    return CliRunner().invoke(main, ["--config", rt.config.source, *args], catch_exceptions=False)


def test_send_everyone_then_again_sends_nobody_twice(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 4)
        first = _run(rt, "send", SLUG)
        assert first.exit_code == 0, first.output
        assert "4 verstuurd" in first.output and "Status: sent" in first.output
        second = _run(rt, "send", SLUG)
        assert second.exit_code == 0
        assert "al naar iedereen verstuurd" in second.output and "niemand krijgt hem twee keer" in second.output
        assert len(smtp.messages) == 4


def test_send_a_test_to_one_address(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 3)
        result = _run(rt, "send", SLUG, "--to", "cxo@example.org")
        assert result.exit_code == 0, result.output
        assert "cxo@example.org" in result.output
        assert [m.rcpt_tos for m in smtp.messages] == [["cxo@example.org"]]


def test_unreachable_server_is_one_clear_line(tmp_path):
    port = free_port()
    rt = make_runtime(tmp_path, port)
    add_subscribers(rt, 2)
    result = _run(rt, "send", SLUG)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert f"127.0.0.1:{port}" in lines[0] and "Traceback" not in result.output


def test_unknown_slug_and_bad_address(tmp_path):
    rt = make_runtime(tmp_path)
    result = _run(rt, "send", "bestaat-niet")
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "bestaat-niet" in result.output
    result = _run(rt, "send", SLUG, "--to", "geen-adres")
    assert result.exit_code == 1 and "geen-adres" in result.output and "Traceback" not in result.output


class BusyRelay(CollectingHandler):
    """Answers MAIL with 421 (closing the session) until ``busy_until`` (time.monotonic), then accepts."""

    def __init__(self, busy_for: float) -> None:
        super().__init__()
        self.busy_until = time.monotonic() + busy_for
        self.refused = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if time.monotonic() < self.busy_until:
            self.refused += 1
            return "421 4.3.2 too busy, try again later"
        envelope.mail_from = address
        return "250 OK"


def test_421_for_a_while_then_250_delivers_everyone_and_exits_0(tmp_path):
    handler = BusyRelay(busy_for=1.0)
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port, smtp={"retry_initial": 0.2, "retry_max": 0.5, "max_attempts": 10})
        add_subscribers(rt, 5)
        result = _run(rt, "send", SLUG, "--no-progress")
        assert result.exit_code == 0, result.output
        assert handler.refused > 0
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [f"lezer{i}@example.org" for i in range(5)]
    assert "Status: sent" in result.output
    assert deliveries.count_by_status(rt.db, newsletters.get(rt.db, SLUG).id)["sent"] == 5


def test_421_forever_leaves_deliveries_waiting_the_issue_sending_and_exits_1(tmp_path):
    with LocalSmtpServer(handler=BusyRelay(busy_for=3600)) as smtp:
        rt = make_runtime(tmp_path, smtp.port, smtp={"retry_initial": 0.05, "retry_max": 0.1, "max_attempts": 3})
        add_subscribers(rt, 4)
        result = _run(rt, "send", SLUG, "--no-progress")
        assert result.exit_code == 1
        counts = deliveries.count_by_status(rt.db, newsletters.get(rt.db, SLUG).id)
        assert counts["waiting"] == 4 and counts["failed"] == counts["sent"] == 0
        assert newsletters.get(rt.db, SLUG).status == "sending"
        assert "4 bezorgingen wachten op een nieuwe poging" in result.output and f"mailer retry {SLUG}" in result.output
        listed = json.loads(_run(rt, "newsletters", "list", "--json").output)[0]
        assert listed["status_text"] == "sending - 4 wachten op een nieuwe poging" and listed["waiting"] == 4
        again = _run(rt, "send", SLUG, "--no-progress")   # by hand: tries again, still refused
        assert again.exit_code == 1 and "al naar iedereen" not in again.output and "wachten" in again.output
        assert not smtp.messages


def test_failed_deliveries_make_send_exit_1_and_are_listed(tmp_path):
    handler = CollectingHandler()
    handler.rcpt_hook = lambda a: "554 5.7.1 refused: policy" if a == "lezer1@example.org" else None
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 3)
        first = _run(rt, "send", SLUG, "--no-progress")
        assert first.exit_code == 1
        assert "1 bezorgingen mislukt" in first.output and f"mailer deliveries {SLUG} --state failed" in first.output
        second = _run(rt, "send", SLUG, "--no-progress")
        assert second.exit_code == 1 and "al naar iedereen" not in second.output and "1 mislukt" in second.output
    listed = json.loads(_run(rt, "newsletters", "list", "--json").output)[0]
    assert listed["status_text"] == "sent - 1 mislukt" and listed["failed"] == 1
    shown = json.loads(_run(rt, "deliveries", SLUG, "--state", "failed", "--json").output)
    assert [(d["email"], d["state"], d["attempts"], d["answer"], d["retryable"]) for d in shown] == [
        ("lezer1@example.org", "failed", 1, "554 5.7.1 refused: policy", False)]
    table = _run(rt, "deliveries", SLUG)
    assert table.exit_code == 0 and "554 5.7.1 refused: policy" in table.output and "3 bezorgingen" in table.output


def test_retry_sends_only_the_retryable_failures_and_explains_the_rest(tmp_path):
    answers = {"lezer0@example.org": "450 4.2.0 mailbox busy", "lezer1@example.org": "554 5.7.1 refused: policy",
               "lezer2@example.org": "550 5.1.1 user unknown"}
    handler = CollectingHandler()
    handler.rcpt_hook = lambda a: answers.get(a)
    with LocalSmtpServer(handler=handler) as smtp:
        rt = make_runtime(tmp_path, smtp.port, smtp={"max_attempts": 50, "retry_lifetime": 0.3})
        subs = add_subscribers(rt, 5)
        store.set_status(rt.db, subs[4].id, "unsubscribed", method="cli")
        first = _run(rt, "send", SLUG, "--no-progress")
        assert first.exit_code == 1
        nid = newsletters.get(rt.db, SLUG).id
        state = {d.email: (d.status, d.retryable) for d in deliveries.for_newsletter(rt.db, nid)}
        assert state["lezer0@example.org"] == ("failed", True)     # its lifetime ran out
        assert state["lezer1@example.org"] == ("failed", False)    # refused for good
        assert state["lezer2@example.org"][0] == "bounced"
        del answers["lezer0@example.org"]
        before = len(smtp.messages)
        retried = _run(rt, "retry", SLUG, "--no-progress")
        assert [m.rcpt_tos[0] for m in smtp.messages[before:]] == ["lezer0@example.org"]
    assert "1 mislukte bezorgingen terug in de wachtrij" in retried.output
    assert "1 definitief geweigerd" in retried.output and "1 gebounced" in retried.output
    assert retried.exit_code == 1   # the permanent failure is still there
    assert deliveries.get(rt.db, deliveries.by_message_id(rt.db, smtp.messages[-1].data.split(b"Message-ID: ")[1]
                                                          .split(b"\r\n")[0].decode()).id).status == "sent"
