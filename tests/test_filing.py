"""Filing batches: the full-text index written by whoever inserts, a failed batch leaving nothing
half-done, duplicates across batches, and flags set only after the commit."""

from __future__ import annotations

import random

import pytest
from imapclient.exceptions import IMAPClientError

from conftest import append_to, flags_of
from mailer import tokens, triage
from mailer.inbox import poll
from mailer.inbox.pipeline import Duplicate, FiledReaction, Filer, Incoming
from mailer.runtime import Runtime
from mailer.stores import inbox as store
from mailer.stores import reactions as reaction_store
from support import samples
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


def _search(rt: Runtime, term: str) -> list[int]:
    return [r[0] for r in rt.db.execute(
        "SELECT rowid FROM reactions_fts WHERE reactions_fts MATCH ? ORDER BY rowid", [term]).fetchall()]


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


def test_poller_files_everything_once_and_flags_it(seeded, imap_server):
    rt, issues, readers = seeded
    messages = _replies(rt, issues, readers, 130)
    messages.append(messages[5])  # the same mail twice, in another batch
    append_to(imap_server.port, *messages)
    report = poll.poll_once(rt, batch_size=25)
    assert report.fetched == 131 and report.filed == 130 and report.duplicates == 1 and report.resumed == 0
    assert reaction_store.counts(rt.db) == {"raw_messages": 130, "reactions": 130}
    flags = flags_of(imap_server.port)
    assert len(flags) == 131 and all(b"\\Seen" in f for f in flags.values())
    assert store.get_inbox_state(rt.db, "INBOX").last_uid == max(flags)
    assert poll.poll_once(rt).fetched == 0


def test_a_refused_store_is_an_error_not_a_silent_success(imap_server, runtime):
    append_to(imap_server.port, samples.reply(from_address="a@x.example", subject="Hoi", body="Tekst"))
    session = poll.open_session(runtime)
    try:
        session.select()
        uids = session.uids_after(0)
        session.c.select_folder("INBOX", readonly=True)  # EXAMINE: the server refuses to store flags
        with pytest.raises(IMAPClientError):
            session.mark_processed(uids)
    finally:
        session.close()




def test_the_same_bytes_twice_in_one_batch_are_filed_once(seeded):
    rt, issues, readers = seeded
    one, other = _replies(rt, issues, readers, 2)
    results = Filer(rt).file_batch([Incoming(one, "test"), Incoming(other, "test"), Incoming(one, "test")])
    assert isinstance(results[0], FiledReaction) and isinstance(results[1], FiledReaction)
    assert results[2] == Duplicate(results[0].raw_message_id, None)
    assert reaction_store.counts(rt.db) == {"raw_messages": 2, "reactions": 2}
