"""The fast filing paths give exactly what the plain path gives: parser workers, overlapping
batches in the poller, the full-text index written once per batch by the writer (0009) and
over the reader's own words (0007), and checkpoints beside the commits."""

from __future__ import annotations

import gc
import os
import random
import sqlite3
import time
from email.utils import getaddresses, parseaddr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imapclient.exceptions import IMAPClientError

from conftest import append_to, flags_of, imap_client
from mailer import tokens, triage
from mailer.db import background_checkpoints
from mailer.inbox import parse, pipeline, poll, samples, store
from mailer.stores import reactions as reaction_store
from mailer.inbox.pipeline import Duplicate, FiledReaction, Filer, Incoming
from mailer.runtime import Runtime
from support.web_sample import SampleReaction, insert_reaction


@pytest.fixture
def seeded(runtime):
    issues, readers = samples.seed_history(runtime.db, runtime.config.newsletters_dir, readers=12)
    return runtime, issues, readers


def _replies(rt: Runtime, issues, readers, n: int, seed: int = 3) -> list[bytes]:
    """Realistic replies: signed reply addresses with themes, In-Reply-To, subjects, out-of-office."""
    rng = random.Random(seed)
    base = rt.config.sender.reply_address
    out = []
    for i in range(n):
        issue, reader = issues[i % len(issues)], readers[rng.randrange(len(readers))]
        raw = samples.random_reply(rng, issue, reader, base, i)
        if i % 4 == 0:
            to = tokens.reply_address(rt.key, base, issue.id, reader.subscriber_id, rng.randrange(len(issue.themes) + 1))
            raw = raw.replace(b"To: " + base.encode(), b"To: " + to.encode(), 1)
        if i % 10 == 7:
            raw = raw.replace(b"Subject: ", b"Auto-Submitted: auto-replied\r\nSubject: Automatisch antwoord: ", 1)
        out.append(raw)
    return out


def _filed(rt: Runtime) -> list[tuple]:
    """Everything filing decides, per raw message, in a comparable form."""
    return rt.db.execute(
        "SELECT m.sha256, r.kind, r.newsletter_id, r.theme_slug, r.attribution, r.theme_attribution, r.confidence,"
        " r.theme_confidence, r.token_status, r.subscriber_id, r.delivery_id, r.reply_text, r.full_text, r.error"
        " FROM reactions r JOIN raw_messages m ON m.id = r.raw_message_id ORDER BY m.sha256"
    ).fetchall()


def _search(rt: Runtime, term: str) -> list[int]:
    return [r[0] for r in rt.db.execute(
        "SELECT rowid FROM reactions_fts WHERE reactions_fts MATCH ? ORDER BY rowid", [term]).fetchall()]


def _fresh_runtime(tmp_path, name: str, config) -> Runtime:
    db_path = tmp_path / name / "mailer.db"
    return Runtime(config.replace(database={"path": str(db_path)}))


def test_workers_file_exactly_what_in_process_parsing_files(seeded, tmp_path, config):
    rt, issues, readers = seeded
    messages = _replies(rt, issues, readers, 160)
    plain = Filer(rt)
    for s in range(0, len(messages), 80):
        plain.file_batch([Incoming(m, "test") for m in messages[s:s + 80]])

    other = _fresh_runtime(tmp_path, "pool", config)
    samples.seed_history(other.db, other.config.newsletters_dir, readers=12)
    fast = Filer(other, workers=2)
    try:
        first = fast.begin([Incoming(m, "test") for m in messages[:80]])
        assert first.parsing is not None, "a batch of 80 must go to the workers"
        second = fast.begin([Incoming(m, "test") for m in messages[80:]])   # overlapping, as the poller does
        results = fast.complete(first) + fast.complete(second)
    finally:
        fast.close()
        other.close()
    other = _fresh_runtime(tmp_path, "pool", config)
    try:
        assert all(isinstance(r, FiledReaction) for r in results)
        assert len(_filed(rt)) == 160
        assert _filed(other) == _filed(rt)
        kinds = {row[1] for row in _filed(rt)}
        assert {"reaction", "auto_reply"} <= kinds
    finally:
        other.close()


def test_a_parser_failure_in_a_worker_files_that_message_as_other(seeded, monkeypatch):
    rt, issues, readers = seeded
    messages = _replies(rt, issues, readers, 70)
    real = parse.parse_message

    def crashing(raw, **kw):
        if b"Goed-Fout" in raw:
            raise ValueError("simulated parser crash")
        return real(raw, **kw)

    bad = samples.reply(from_address=readers[0].email, subject="Goed-Fout", body="Kapot.")
    monkeypatch.setattr(parse, "parse_message", crashing)   # forked workers inherit it
    filer = Filer(rt, workers=2)
    try:
        results = filer.file_batch([Incoming(m, "test") for m in [*messages[:35], bad, *messages[35:]]])
    finally:
        filer.close()
    assert len(results) == 71 and all(isinstance(r, FiledReaction) for r in results)
    assert results[35].kind == "other" and "simulated parser crash" in results[35].error
    assert sum(1 for r in results if r.kind == "reaction") >= 55
    assert reaction_store.counts(rt.db) == {"raw_messages": 71, "reactions": 71}


def test_a_worker_that_dies_leaves_the_batch_to_in_process_parsing(seeded, monkeypatch):
    rt, issues, readers = seeded
    messages = _replies(rt, issues, readers, 70)
    parent = os.getpid()
    real = parse.parse_message

    def dying(raw, **kw):
        if os.getpid() != parent:
            os._exit(3)  # a worker killed mid-parse (e.g. by the OOM killer)
        return real(raw, **kw)

    monkeypatch.setattr(parse, "parse_message", dying)
    filer = Filer(rt, workers=2)
    try:
        results = filer.file_batch([Incoming(m, "test") for m in messages])
        assert gc.get_freeze_count() == 0  # the broken pool was closed, the heap unfrozen
    finally:
        filer.close()
    assert len(results) == 70 and all(isinstance(r, FiledReaction) and not r.error for r in results)
    assert reaction_store.counts(rt.db) == {"raw_messages": 70, "reactions": 70}


def test_the_objects_frozen_for_the_workers_are_unfrozen_when_they_stop(seeded):
    """start_workers freezes the heap (gc) for the pool's lifetime; close gives it back, also
    when the workers broke off (see the test above), so nothing stays out of reach of the
    collector."""
    rt, issues, readers = seeded
    messages = _replies(rt, issues, readers, 70)
    assert gc.get_freeze_count() == 0
    filer = Filer(rt, workers=2)
    try:
        assert filer.start_workers()
        assert gc.get_freeze_count() > 1000
        filer.file_batch([Incoming(m, "test") for m in messages])
    finally:
        filer.close()
    assert gc.get_freeze_count() == 0
    filer.close()  # twice is harmless
    assert gc.get_freeze_count() == 0


def test_overlapping_batches_never_file_a_message_twice(seeded):
    rt, issues, readers = seeded
    messages = _replies(rt, issues, readers, 70)
    filer = Filer(rt, workers=2)
    try:
        first = filer.begin([Incoming(m, "test") for m in messages])
        again = filer.begin([Incoming(m, "test") for m in messages[:10]])  # same bytes, before the first is filed
        results = filer.complete(first) + filer.complete(again)
    finally:
        filer.close()
    assert sum(isinstance(r, FiledReaction) for r in results) == 70
    assert sum(isinstance(r, Duplicate) for r in results) == 10
    assert reaction_store.counts(rt.db) == {"raw_messages": 70, "reactions": 70}


def test_every_reaction_is_indexed_by_whoever_inserts_it(seeded):
    rt, issues, readers = seeded
    messages = _replies(rt, issues, readers, 40)
    Filer(rt).file_batch([Incoming(m, "test") for m in messages])
    sample = insert_reaction(rt.db, SampleReaction(subject="Coöperatie", reply_text="Een losse reactie"))
    # No insert trigger (0009): the index is complete only because both writers index what they insert.
    assert rt.db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'"
                         " AND name = 'reactions_fts_insert'").fetchone()[0] == 0
    rt.db.execute("INSERT INTO reactions_fts(reactions_fts, rank) VALUES('integrity-check', 1)")
    rows = rt.db.execute("SELECT id, subject, from_name, from_address, reply_text FROM reactions").fetchall()
    assert len(rows) == 41
    assert rt.db.execute("SELECT COUNT(*) FROM reactions_fts").fetchone()[0] == 41
    for rid, subject, name, address, reply in rows:
        indexed = rt.db.execute(
            "SELECT subject, from_name, from_address, reply_text FROM reactions_fts WHERE rowid = ?",
            [rid]).fetchone()
        assert indexed == (subject, name, address, reply)
    assert sample in _search(rt, "cooperatie")
    word = readers[0].email.split("@")[0]
    expected = sorted(r[0] for r in rows if word in r[3])
    assert _search(rt, f'from_address:"{word}"') == expected


def test_a_failed_batch_insert_leaves_neither_reactions_nor_search_entries(seeded, monkeypatch):
    rt, issues, readers = seeded

    def failing(db, ids):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(store, "index_reactions", failing)   # after the rows went in, same transaction
    with pytest.raises(RuntimeError):
        Filer(rt).file_batch([Incoming(m, "test") for m in _replies(rt, issues, readers, 3)])
    monkeypatch.undo()
    assert reaction_store.counts(rt.db) == {"raw_messages": 3, "reactions": 0}
    rt.db.execute("INSERT INTO reactions_fts(reactions_fts, rank) VALUES('integrity-check', 1)")
    result = Filer(rt).file_batch([Incoming(m, "test") for m in _replies(rt, issues, readers, 3)])
    assert all(isinstance(r, FiledReaction) for r in result)
    rid = insert_reaction(rt.db, SampleReaction(subject="Na de fout", reply_text="gevonden"))
    assert _search(rt, "gevonden") == [rid]
    rt.db.execute("INSERT INTO reactions_fts(reactions_fts, rank) VALUES('integrity-check', 1)")


def test_search_finds_what_the_reader_wrote_not_the_issue_they_quoted(seeded):
    rt, issues, readers = seeded
    quoted = "Wij zoeken deelnemers voor het proefproject warmtenet in de wijk."
    raw = samples.reply(from_address=readers[0].email, subject="Re: " + issues[0].subject,
                        body="Ik doe graag mee met de zonnepanelen.\n\n"
                             f"Op 24 nov. 2026 om 09:12 schreef Redactie <{rt.config.sender.from_address}>:\n> {quoted}")
    result = Filer(rt).file_batch([Incoming(raw, "test")])[0]
    assert isinstance(result, FiledReaction)
    assert _search(rt, "zonnepanelen") == [result.reaction_id]
    assert _search(rt, "warmtenet") == []   # only in the quote: not a hit
    # ... but on the reaction's page, in the full text (read from the raw message, not copied)
    assert rt.db.execute("SELECT full_text FROM reactions WHERE id = ?", [result.reaction_id]).fetchone()[0] == ""
    full = triage.get_reaction(rt.db, result.reaction_id).full_text
    assert "Ik doe graag mee" in full and "warmtenet" in full


def test_backlog_checkpoints_run_beside_the_commits(runtime):
    db = runtime.db
    db.execute("CREATE TABLE bulk (x TEXT)")
    with background_checkpoints(db, runtime.config.database_path, interval=0.05):
        assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        for _ in range(20):
            with store.transaction(db):
                db.conn.executemany("INSERT INTO bulk VALUES (?)", [("x" * 500,)] * 50)
        time.sleep(0.3)
        # The rows are in the database file itself (read without the WAL): the thread checkpointed.
        plain = sqlite3.connect(f"file:{runtime.config.database_path}?immutable=1", uri=True)
        assert plain.execute("SELECT count(*) FROM bulk").fetchone()[0] == 1000
        plain.close()
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def test_the_last_writes_of_a_backlog_are_checkpointed_when_it_ends(runtime):
    db = runtime.db
    db.execute("CREATE TABLE bulk (x TEXT)")
    with background_checkpoints(db, runtime.config.database_path, interval=3600):  # never in the block
        with store.transaction(db):
            db.conn.executemany("INSERT INTO bulk VALUES (?)", [("x" * 500,)] * 300)
    plain = sqlite3.connect(f"file:{runtime.config.database_path}?immutable=1", uri=True)
    assert plain.execute("SELECT count(*) FROM bulk").fetchone()[0] == 300
    plain.close()


def test_poller_with_workers_files_everything_once_and_flags_it(seeded, imap_server, monkeypatch):
    rt, issues, readers = seeded
    monkeypatch.setattr(poll, "PARSE_POOL_MIN_BACKLOG", 100)
    monkeypatch.setattr(pipeline, "POOL_MIN", 16)
    messages = _replies(rt, issues, readers, 130)
    messages.append(messages[5])  # the same mail twice, in another batch
    append_to(imap_server.port, *messages)
    report = poll.poll_once(rt, batch_size=25)
    assert report.fetched == 131 and report.filed == 130 and report.duplicates == 1
    assert reaction_store.counts(rt.db) == {"raw_messages": 130, "reactions": 130}
    flags = flags_of(imap_server.port)
    assert len(flags) == 131 and all(b"\\Seen" in f for f in flags.values())
    assert store.get_inbox_state(rt.db, "INBOX").last_uid == max(flags)
    assert poll.poll_once(rt).fetched == 0


def test_a_batch_is_flagged_after_its_commit_and_recorded_after_its_flag(seeded, imap_server, monkeypatch):
    """The poller sends batch N-1's STORE, completes batch N, then reads the STORE's answer: the
    flag still comes after that batch's own reactions COMMIT and last_uid after the flag."""
    from mailer.inbox import fetch

    rt, issues, readers = seeded
    monkeypatch.setattr(poll, "PARSE_POOL_MIN_BACKLOG", 100)
    monkeypatch.setattr(pipeline, "POOL_MIN", 16)
    append_to(imap_server.port, *_replies(rt, issues, readers, 130))
    events: list[tuple[str, object]] = []
    real_complete, real_send, real_wait = Filer.complete, fetch.ImapSession.mark_processed_send, \
        fetch.ImapSession.mark_processed_wait
    real_state = store.set_inbox_state

    def complete(self, batch):
        results = real_complete(self, batch)
        events.append(("committed", max(item.uid for item in batch.items)))
        return results

    def send(self, uids):
        uids = list(uids)
        events.append(("sent", max(uids)))
        return real_send(self, uids)

    def wait(self, tag):
        real_wait(self, tag)
        events.append(("answered", tag))

    def state(db, mailbox, uidvalidity, last_uid):
        events.append(("recorded", last_uid))
        real_state(db, mailbox, uidvalidity, last_uid)

    monkeypatch.setattr(Filer, "complete", complete)
    monkeypatch.setattr(fetch.ImapSession, "mark_processed_send", send)
    monkeypatch.setattr(fetch.ImapSession, "mark_processed_wait", wait)
    monkeypatch.setattr(poll.store, "set_inbox_state", state)
    report = poll.poll_once(rt, batch_size=25)
    assert report.filed == 130
    kinds = [kind for kind, _ in events]
    sent = [last for kind, last in events if kind == "sent"]
    assert len(sent) >= 3  # several batches went through the overlapped path
    for last in sent:
        at = events.index(("sent", last))
        assert ("committed", last) in events[:at]                 # flag after its own commit
        answered = kinds.index("answered", at)
        if last != sent[-1]:                                      # (the last batch has no next one)
            assert "committed" in kinds[at:answered]              # ... while the next one was completed
        assert events.index(("recorded", last)) > answered         # last_uid after the flag's answer
    recorded = [last for kind, last in events if kind == "recorded"][1:]  # [0]: the UIDVALIDITY row
    flags = flags_of(imap_server.port)
    assert len(flags) == 130 and all(b"\\Seen" in f for f in flags.values())
    assert recorded == sorted(recorded) and recorded[-1] == max(flags)


def test_a_refused_store_is_an_error_not_a_silent_success(imap_server, runtime):
    append_to(imap_server.port, samples.reply(from_address="a@x.example", subject="Hoi", body="Tekst"))
    session = poll.open_session(runtime)
    try:
        session.select()
        uids = session.uids_after(0)
        session.c.select_folder("INBOX", readonly=True)  # EXAMINE: the server refuses to store flags
        tag = session.mark_processed_send(uids)
        with pytest.raises(IMAPClientError):
            session.mark_processed_wait(tag)
    finally:
        session.close()


ADDRESS_SHAPES = ["a@b.nl", " Anne de Vries  <anne.de-vries@gemeente.example.nl> ", "Zoë Ünal <z@x.nl>",
                  "J. Jansen <j@x.nl>", "\"Vries, A\" <a@b.nl>", "a@b.nl (Anne)", "Anne de Vries a@b.nl",
                  "a..b@c.nl", "Name<a@b.nl>", "Name <a@b.nl", "<a@b.nl>", "a+tag@x.nl", "o'Brien <o@x.ie>",
                  "A - B <a@b.nl>", "undisclosed-recipients:;", "a@b.nl, c@d.nl", "",
                  "reacties+r-1-4m-3-sutu6xnldn3wipa4@example.org", " reacties@example.org\t", "Anne <a@b.nl> x"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(ADDRESS_SHAPES), st.lists(st.tuples(st.integers(0, 80), st.sampled_from(list("aZé .'-<>@_,;:\"()\t1"))),
                                                 max_size=3))
def test_fast_address_reading_equals_the_stdlib(shape: str, edits: list[tuple[int, str]]) -> None:
    chars = list(shape)
    for at, ch in edits:
        if chars:
            chars[at % len(chars)] = ch
    value = "".join(chars)
    assert parse.fast_parseaddr(value) == parseaddr(value)
    assert parse._fast_getaddresses([value, "b@c.nl"]) == getaddresses([value, "b@c.nl"])


@pytest.mark.parametrize("value", ["reacties@example.org", "reacties+r-1-4m-3-sutu6xnldn3wipa4@example.org",
                                   " a.b@c.example.nl ", "Anne de Vries <anne@b.nl>", "<a@b.nl>"])
def test_common_address_shapes_take_the_fast_path(value: str, monkeypatch) -> None:
    expected = getaddresses([value])
    monkeypatch.setattr(parse, "getaddresses", lambda values: pytest.fail(f"stdlib fallback for {values}"))
    assert parse._fast_getaddresses([value]) == expected


HEADER_PIECES = [b"Message-ID:", b"message-id:", b"MeSsAgE-iD:", b"X-Message-ID:", b"message-id", b"\n", b"\r\n",
                 b" ", b"\t", b"<a@b.nl>", b"\x80", b"\xff", b"x"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(HEADER_PIECES), max_size=14))
def test_message_id_line_search_equals_the_regex_search(pieces: list[bytes]) -> None:
    head = b"".join(pieces)
    expected = pipeline._MESSAGE_ID.search(head)
    found = pipeline._message_id_line(head)
    assert (found and (found.span(), found.group(1))) == (expected and (expected.span(), expected.group(1)))


def test_lean_fetch_reads_what_imapclient_reads(imap_server, runtime):
    tricky = [
        samples.reply(from_address="a@x.example", subject="UID 999 {5}", body="Regel met ) en {12}\r\nUID 7"),
        samples.reply(from_address="b@x.example", subject="Één", body="Ångström café, 8-bit: ü"),
        *[samples.reply(from_address=f"c{i}@x.example", subject="Hoi", body="Tekst " * i) for i in range(5)],
    ]
    append_to(imap_server.port, *tricky)
    session = poll.open_session(runtime)
    try:
        session.select()
        uids = session.uids_after(0)
        lean = session._fetch_bodies(uids)
        full = {u: (bytes(d[b"BODY[]"]), int(d[b"RFC822.SIZE"]))
                for u, d in session.c.fetch(uids, ["RFC822.SIZE", "BODY.PEEK[]"]).items()}
        assert lean is not None and len(lean) == 7
        assert lean == full
        assert [f.raw for f in session.fetch(uids, runtime.config.imap.max_message_bytes)] == [full[u][0] for u in uids]
    finally:
        session.close()


FETCH_ANSWERS = [
    (b"* 1 FETCH (UID 7 RFC822.SIZE 2254 BODY[] {2254}", b")"),                  # Dovecot
    (b"* 1 FETCH (RFC822.SIZE 273 BODY[] {273}", b" UID 101)"),                  # pymap
    (b"* 12 FETCH (UID 7 RFC822.SIZE 2254 BODY[] {2254}", b" FLAGS (\\Seen))"),
    (b"* 1 fetch (uid 7 rfc822.size 2254 body[] {2254}", b")"),
    (b"* 1 FETCH (UID 7 BODY[] {2254}", b")"),
    (b"* 1 FETCH (RFC822.SIZE 2254 BODY[] {2254}", b")"),
    (b"* 1 FETCH (UID 7 RFC822.SIZE 2254 BODY[HEADER] {2254}", b")"),
    (b"* 1 FETCH (UID 7 RFC822.SIZE 2254 BODY[] {2254}", b") "),
    (b"* 1 FETCH (UID 7 RFC822.SIZE 22x BODY[] {2254}", b")"),
]


@pytest.mark.parametrize("head,tail", FETCH_ANSWERS)
def test_the_fetch_answer_shape_dovecot_writes_is_read_like_any_other(head: bytes, tail: bytes) -> None:
    from mailer.inbox import fetch

    assert fetch._uid_and_size(head, tail, 99) == fetch._uid_and_size_general(head, tail, 99)


def test_dovecots_fetch_answer_takes_the_one_match_path(monkeypatch) -> None:
    from mailer.inbox import fetch

    monkeypatch.setattr(fetch, "_uid_and_size_general", lambda *a: pytest.fail("general reading"))
    assert fetch._uid_and_size(*FETCH_ANSWERS[0], 99) == (7, 2254)


def test_lean_fetch_keeps_imaplibs_rules_for_other_answers(imap_server, runtime):
    """New mail and flag changes made on another connection are announced in the middle of the
    answer (untagged EXISTS, FETCH FLAGS): the bodies still come out right, EXISTS is filed where
    imaplib files it, and a command the server refuses as BAD raises imaplib's error."""
    import imaplib

    from mailer.inbox.fetch import _read_fetch_answer

    first = [samples.reply(from_address=f"d{i}@x.example", subject="Hoi", body="Tekst " * i) for i in range(4)]
    append_to(imap_server.port, *first)
    with imap_client(imap_server.port) as other:
        session = poll.open_session(runtime)
        try:
            session.select()
            uids = session.uids_after(0)
            other.select_folder("INBOX")
            other.add_flags(uids[:2], [b"\\Flagged"])          # -> * n FETCH (FLAGS ...) for the session
            other.append("INBOX", samples.reply(from_address="late@x.example", subject="Laat", body="Nieuw"))
            imap = session.c._imap
            imap.untagged_responses.clear()
            lean = session._fetch_bodies(uids)
            assert lean is not None and sorted(lean) == uids
            assert [lean[u][0] for u in uids] == [bytes(d[b"BODY[]"]) for _, d in sorted(
                session.c.fetch(uids, ["BODY.PEEK[]"]).items())]
            assert imap.untagged_responses.get("EXISTS") == [b"5"]
            assert "FETCH" not in imap.untagged_responses
            tag = imap._command("UID", "FETCH", "nonsense", "(BODY.PEEK[])")
            with pytest.raises(imaplib.IMAP4.error):
                _read_fetch_answer(imap, tag, "UID FETCH")
            assert len(session.fetch(session.uids_after(0), runtime.config.imap.max_message_bytes)) == 5
        finally:
            session.close()
