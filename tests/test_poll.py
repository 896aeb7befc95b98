"""The poller against a real IMAP server (pymap on loopback) and a real SQLite file."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from mailer import tokens
from mailer.config import load_config
from mailer.errors import ImapUnavailable
from mailer.inbox import parse, poll
from support import samples
from mailer.runtime import Runtime
from mailer.stores import inbox as store
from mailer.stores import reactions as reaction_store
from conftest import append_to as _append, flags_of as _flags, write_config


@pytest.fixture
def seeded(runtime):
    issues, readers = samples.seed_history(runtime.db, runtime.config.newsletters_dir)
    return runtime, issues, readers


def _by_from(rt):
    return {r.from_address: r for r in reaction_store.list_rows(rt.db)}


def test_replies_are_filed_with_newsletter_theme_and_method(seeded, imap_server):
    rt, issues, readers = seeded
    nov, jan = issues[0], issues[1]
    key, base = rt.key, rt.config.sender.reply_address
    groeipijn = nov.themes.index("groeipijn") + 1
    msgs = [
        samples.reply(from_address=readers[0].email, subject="Re: iets", body="Over de groei: herkenbaar.",
                      to=tokens.reply_address(key, base, nov.id, readers[0].subscriber_id, groeipijn)),
        samples.reply(from_address=readers[1].email, subject="Re: oud bericht", body="Goed gelezen.",
                      in_reply_to=readers[1].message_ids[nov.id]),
        samples.reply(from_address=readers[2].email, subject="Antw: " + jan.subject, body="Mooi."),
        samples.reply(from_address=readers[3].email, subject="Vraag", body="Dit herken ik.",
                      quoted=nov.section_texts["kracht-van-het-collectief"]),
        samples.reply(from_address=readers[4].email, subject="Los bericht", body="Zomaar een gedachte."),
        samples.reply(from_address="onbekend@elders.example", subject="Hallo", body="Wie bent u?"),
    ]
    _append(imap_server.port, *msgs)
    report = poll.poll_once(rt)
    assert (report.fetched, report.filed, report.duplicates) == (6, 6, 0)
    got = _by_from(rt)
    r = got[readers[0].email]
    assert (r.newsletter, r.theme, r.attribution, r.theme_attribution, r.token_status) == (
        nov.slug, "groeipijn", "token", "token", "valid")
    assert r.confidence == 1.0
    r = got[readers[1].email]
    assert (r.newsletter, r.attribution) == (nov.slug, "in-reply-to")
    r = got[readers[2].email]
    assert (r.newsletter, r.attribution) == (jan.slug, "subject")
    r = got[readers[3].email]
    assert (r.newsletter, r.theme, r.theme_attribution) == (nov.slug, "kracht-van-het-collectief", "quoted-section")
    r = got[readers[4].email]
    assert (r.newsletter, r.attribution) == (jan.slug, "latest-issue")  # January is the latest sent to them
    r = got["onbekend@elders.example"]
    assert (r.newsletter, r.theme, r.attribution) == (None, None, "none")
    # Every message is flagged, and the raw bytes are exactly what was appended.
    assert all(b"\\Seen" in f for f in _flags(imap_server.port).values())
    stored = {bytes(row[0]) for row in rt.db.execute("SELECT data FROM raw_messages")}
    assert stored == set(msgs)
    # A second poll files nothing new.
    again = poll.poll_once(rt)
    assert (again.fetched, again.filed) == (0, 0)
    assert reaction_store.counts(rt.db) == {"raw_messages": 6, "reactions": 6}


def test_parser_crash_is_kept_as_other_and_does_not_stop_the_rest(seeded, imap_server, monkeypatch):
    rt, issues, readers = seeded
    real = parse.parse_message

    def flaky(raw: bytes, **kw):
        if b"BOOM" in raw:
            raise RuntimeError("simulated parser crash")
        return real(raw, **kw)

    monkeypatch.setattr(parse, "parse_message", flaky)
    msgs = [samples.reply(from_address=readers[i].email, subject="Re: " + issues[0].subject,
                          body="BOOM" if i == 1 else f"Reactie {i}") for i in range(3)]
    _append(imap_server.port, *msgs)
    report = poll.poll_once(rt)
    assert (report.filed, report.errors) == (3, 1)
    got = _by_from(rt)
    assert got[readers[1].email].kind == "other"
    assert "simulated parser crash" in got[readers[1].email].error
    assert got[readers[0].email].kind == got[readers[2].email].kind == "reaction"
    raw_error = rt.db.execute(
        "SELECT m.parse_error FROM raw_messages m JOIN reactions r ON r.raw_message_id = m.id WHERE r.id = ?",
        [got[readers[1].email].id]).fetchone()[0]
    assert "simulated parser crash" in raw_error
    assert len(_flags(imap_server.port)) == 3 and all(b"\\Seen" in f for f in _flags(imap_server.port).values())


def test_seen_is_set_only_after_the_commit(seeded, imap_server, monkeypatch):
    rt, issues, readers = seeded
    _append(imap_server.port, samples.reply(from_address=readers[0].email, subject="Re: x", body="Eerste"))
    real = store.insert_reactions
    calls = {"n": 0}

    def failing_once(db, items):
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return real(db, items)

    monkeypatch.setattr(store, "insert_reactions", failing_once)
    with pytest.raises(sqlite3.OperationalError):
        poll.poll_once(rt)
    assert all(b"\\Seen" not in f for f in _flags(imap_server.port).values())
    # The raw message was committed first; the reaction was rolled back.
    assert reaction_store.counts(rt.db) == {"raw_messages": 1, "reactions": 0}
    report = poll.poll_once(rt)
    assert (report.filed, report.resumed) == (1, 1)  # stored by the failed poll: not reported as new
    assert "0 nieuw gearchiveerd, 1 alsnog gearchiveerd na een onderbroken poll" in report.summary()
    assert reaction_store.counts(rt.db) == {"raw_messages": 1, "reactions": 1}
    assert all(b"\\Seen" in f for f in _flags(imap_server.port).values())


def test_uidvalidity_change_refetches_and_dedupes(seeded, imap_server):
    rt, issues, readers = seeded
    _append(imap_server.port, *[samples.reply(from_address=r.email, subject="Re: x", body="Hoi") for r in readers[:3]])
    assert poll.poll_once(rt).filed == 3
    state = store.get_inbox_state(rt.db, "INBOX")
    with store.transaction(rt.db):  # as if the server had rebuilt the mailbox
        store.set_inbox_state(rt.db, "INBOX", state.uidvalidity + 1, state.last_uid)
    _append(imap_server.port, samples.reply(from_address=readers[3].email, subject="Re: y", body="Nieuw"))
    report = poll.poll_once(rt)
    assert report.uidvalidity_changed
    assert (report.fetched, report.filed, report.duplicates) == (4, 1, 3)
    assert store.get_inbox_state(rt.db, "INBOX").uidvalidity == state.uidvalidity


def test_processed_folder_moves_and_creates_it(tmp_path, imap_server, monkeypatch):
    rt = Runtime(load_config(write_config(tmp_path, 8025, imap_server.port, imap={"processed_folder": "Verwerkt"})))
    _append(imap_server.port, samples.reply(from_address="a@b.example", subject="Hoi", body="Een"),
            samples.reply(from_address="c@d.example", subject="Hoi", body="Twee"))
    assert poll.poll_once(rt).filed == 2
    assert _flags(imap_server.port, "INBOX") == {}
    moved = _flags(imap_server.port, "Verwerkt")
    assert len(moved) == 2 and all(b"\\Seen" in f for f in moved.values())
    rt.close()


def test_hard_bounce_suppresses_and_marks_delivery(seeded, imap_server):
    from subscribers import store as subscribers

    rt, issues, readers = seeded
    reader = readers[0]
    delivery_id = reader.delivery_ids[issues[0].id]
    verp = tokens.bounce_address(rt.key, rt.config.sender.bounce_address, delivery_id)
    dsn = _dsn(verp, reader.email, "5.1.1", "failed")
    _append(imap_server.port, dsn)
    poll.poll_once(rt)
    r = reaction_store.list_rows(rt.db)[0]
    assert r.kind == "bounce" and r.bounced_addresses == (reader.email,)
    assert (r.newsletter, r.attribution) == (issues[0].slug, "token")
    assert subscribers.get(rt.db, reader.subscriber_id).status == "bounced"
    assert subscribers.is_suppressed(rt.db, reader.email)
    row = rt.db.execute("SELECT status, last_error FROM deliveries WHERE id = ?", [delivery_id]).fetchone()
    assert row[0] == "bounced" and "hard" in row[1]


def test_soft_bounces_suppress_after_the_limit(seeded, imap_server):
    from subscribers import store as subscribers

    rt, issues, readers = seeded
    reader = readers[1]
    limit = rt.config.bounces.soft_bounce_limit
    for i in range(limit):
        _append(imap_server.port, _dsn("bounces@verkenning.example.nl", reader.email, "4.2.2", "delayed", n=i))
        poll.poll_once(rt)
        expected = "bounced" if i == limit - 1 else "active"
        assert subscribers.get(rt.db, reader.subscriber_id).status == expected
    assert subscribers.get(rt.db, reader.subscriber_id).soft_bounces == limit


def test_mail_to_the_unsubscribe_address_unsubscribes(seeded, imap_server):
    from mailer import links
    from subscribers import store as subscribers

    rt, issues, readers = seeded
    reader = readers[2]
    address = links.unsubscribe_mailto_address(rt.config, rt.key, reader.subscriber_id)
    _append(imap_server.port, samples.reply(from_address=reader.email, to=address, subject="afmelden", body="afmelden"))
    poll.poll_once(rt)
    assert subscribers.get(rt.db, reader.subscriber_id).status == "unsubscribed"
    r = reaction_store.list_rows(rt.db)[0]
    assert r.kind == "other"
    note = rt.db.execute("SELECT body FROM reaction_notes WHERE reaction_id = ?", [r.id]).fetchone()[0]
    assert "Afgemeld" in note


def test_too_large_message_is_recorded_not_lost(tmp_path, imap_server):
    rt = Runtime(load_config(write_config(tmp_path, 8025, imap_server.port, imap={"max_message_bytes": 5000})))
    big = samples.reply(from_address="groot@x.example", subject="Bijlage", body="x" * 20000)
    _append(imap_server.port, big, samples.reply(from_address="klein@x.example", subject="Kort", body="kort"))
    report = poll.poll_once(rt)
    assert (report.filed, report.too_large) == (2, 1)
    r = _by_from(rt)["groot@x.example"]
    assert r.kind == "other" and "too large" in r.error and "> 5000" in r.error
    assert r.subject == "Bijlage"
    assert _by_from(rt)["klein@x.example"].kind == "reaction"
    assert all(b"\\Seen" in f for f in _flags(imap_server.port).values())
    rt.close()


def test_unreachable_server_and_bad_login_are_one_line_errors(tmp_path, imap_server, monkeypatch):
    from mailer.localservers import free_port

    rt = Runtime(load_config(write_config(tmp_path, 8025, free_port())))
    with pytest.raises(ImapUnavailable, match=r"cannot reach the IMAP server 127\.0\.0\.1:\d+"):
        poll.poll_once(rt)
    monkeypatch.setenv("MAILER_IMAP_PASSWORD", "wrong")
    rt2 = Runtime(load_config(write_config(tmp_path, 8025, imap_server.port)))
    with pytest.raises(ImapUnavailable, match="refused the login of 'demouser'.*MAILER_IMAP_PASSWORD"):
        poll.poll_once(rt2)


def test_a_missing_mailbox_is_named_with_the_fix(tmp_path, imap_server):
    rt = Runtime(load_config(write_config(tmp_path, 8025, imap_server.port, imap={"mailbox": "Reacties"})))
    with pytest.raises(ImapUnavailable) as err:
        poll.poll_once(rt)
    message = str(err.value)
    assert "the mailbox 'Reacties' does not exist" in message and "[imap] mailbox" in message
    assert "INBOX" in message and "again" not in message and "\n" not in message
    rt.close()


def test_run_forever_uses_idle_and_files_new_mail(tmp_path, imap_server):
    # A long poll interval: only IDLE can make the new message arrive within the test's time.
    rt = Runtime(load_config(write_config(tmp_path, 8025, imap_server.port, imap={"poll_interval": 600})))
    stop = threading.Event()
    reports: list[poll.PollReport] = []
    thread = threading.Thread(target=poll.run_forever, args=(rt, stop), kwargs={"on_report": reports.append})
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not reports and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reports, "the first poll did not run"
        _append(imap_server.port, samples.reply(from_address="idle@x.example", subject="Nu", body="Direct"))
        deadline = time.monotonic() + 8
        while sum(r.filed for r in reports) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sum(r.filed for r in reports) == 1
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    rt.close()


def _dsn(to: str, failed: str, status: str, action: str, n: int = 0) -> bytes:
    """An RFC 3464 delivery-status report as Postfix writes it."""
    boundary = f"B{n}.1763000000/mx.lezer.example.nl"
    return (
        f"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.lezer.example.nl (Mail Delivery System)\r\n"
        f"To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: Fri, 13 Nov 2026 10:0{n % 10}:00 +0100\r\nMessage-ID: <dsn{n}.{status}@mx.lezer.example.nl>\r\n"
        f"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host mx.lezer.example.nl.\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n"
        f"<{failed}>: host said: {status} problem\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.lezer.example.nl\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nOriginal-Recipient: rfc822;{failed}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {'550 5.1.1 user unknown' if status.startswith('5') else '452 4.2.2 mailbox full'}\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: nieuwsbrief@verkenning.example.nl\r\nTo: {failed}\r\nSubject: Samen verder\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def test_batches_are_sized_to_a_byte_budget(seeded, imap_server, monkeypatch):
    rt, issues, readers = seeded
    monkeypatch.setattr(poll, "FIRST_BATCH", 3)
    monkeypatch.setattr(poll, "BATCH_BYTES", 20_000)
    big = [samples.reply(from_address=readers[i % 3].email, subject="Re: x", body=f"Reactie {i}\n" + "tekst " * 800)
           for i in range(12)]
    small = [samples.reply(from_address=readers[i % 3].email, subject="Re: y", body=f"Kort {i}") for i in range(30)]
    _append(imap_server.port, *big, *small)
    sizes: list[int] = []
    real = poll.ImapSession.fetch

    def counting(self, uids, max_bytes, **kw):
        sizes.append(len(uids))
        return real(self, uids, max_bytes, **kw)

    monkeypatch.setattr(poll.ImapSession, "fetch", counting)
    report = poll.poll_once(rt, batch_size=20)
    assert report.filed == 42
    # first 3; then ~5 KB messages against a 20 KB budget: 3-4 at a time; small ones: up to 20
    assert sizes[0] == 3 and max(sizes[1:4]) <= 4 and max(sizes) == 20
    assert sum(sizes) == 42


def test_one_bounce_rule_for_send_time_and_inbox_bounces(seeded):
    """SMTP's refusal at send time and a bounce read from the inbox go through the same rule
    (subscribers.apply_bounce): only an active or pending subscriber changes."""
    from mailer.stores import deliveries
    from subscribers import store as subscribers

    def mark_bounced(db, delivery_id, detail):  # what the inbox does with a bounce of a known delivery
        delivery = deliveries.mark_bounced(db, delivery_id, detail)
        return subscribers.apply_bounce(db, delivery.subscriber_id, bounce_type="hard", detail=detail)

    rt, issues, readers = seeded
    gone, active, other = readers[2], readers[3], readers[4]
    subscribers.set_status(rt.db, gone.subscriber_id, "unsubscribed", method="test")
    for reader in (gone, active):
        row = rt.db.execute("SELECT id FROM deliveries WHERE subscriber_id = ? ORDER BY id LIMIT 1",
                            [reader.subscriber_id]).fetchone()
        note = mark_bounced(rt.db, row[0], "550 5.1.1 user unknown")
        status = rt.db.execute("SELECT status FROM deliveries WHERE id = ?", [row[0]]).fetchone()[0]
        assert status == "bounced"
        assert bool(note) == (reader is active)
    assert subscribers.get(rt.db, gone.subscriber_id).status == "unsubscribed"   # kept: consent record
    assert subscribers.get(rt.db, active.subscriber_id).status == "bounced"
    assert subscribers.is_suppressed(rt.db, active.email)
    # soft bounces are counted, and only the limit-th one suppresses
    for n in range(1, 4):
        note = subscribers.apply_bounce(rt.db, other.subscriber_id, bounce_type="soft", detail="4.2.2", soft_limit=3)
        assert subscribers.get(rt.db, other.subscriber_id).status == ("bounced" if n == 3 else "active")
        assert ("3 zachte bounces" in note) == (n == 3)
