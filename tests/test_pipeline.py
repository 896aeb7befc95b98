"""file_message: raw first, dedupe by content, resume after a crash, token checks, attachments (real SQLite)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from conftest import write_config
from mailer import tokens
from mailer.config import load_config
from mailer.inbox import pipeline
from mailer.stores import inbox as store
from support import samples
from mailer.inbox.pipeline import Duplicate, FiledReaction, file_message
from mailer.runtime import Runtime
from mailer.stores import reactions as reaction_store


@pytest.fixture
def rt(tmp_path):
    runtime = Runtime(load_config(write_config(tmp_path)))
    yield runtime
    runtime.close()


@pytest.fixture
def history(rt):
    return samples.seed_history(rt.db, rt.config.newsletters_dir, readers=3)


def test_same_bytes_twice_is_a_duplicate(rt):
    raw = samples.reply(from_address="a@x.example", subject="Hoi", body="Eerste gedachte.")
    first = file_message(rt, raw, source="test")
    second = file_message(rt, raw, source="test")
    assert isinstance(first, FiledReaction) and first.kind == "reaction"
    assert isinstance(second, Duplicate) and second.reaction_id == first.reaction_id
    assert reaction_store.counts(rt.db) == {"raw_messages": 1, "reactions": 1}


def test_the_same_mail_with_unix_line_ends_is_a_duplicate(rt):
    raw = samples.reply(from_address="a@x.example", subject="Hoi", body="Tekst.", message_id="<vaste-id@x.example>")
    lf = raw.replace(b"\r\n", b"\n")  # the same mail saved by a client with Unix line ends
    first = file_message(rt, raw, source="imap:INBOX")
    dup = file_message(rt, lf, source="import:x.eml")
    assert isinstance(first, FiledReaction) and isinstance(dup, Duplicate) and dup.reaction_id == first.reaction_id


def test_another_mail_with_a_message_id_seen_before_is_stored_too(rt):
    first = file_message(rt, samples.reply(from_address="a@x.example", subject="Hoi", body="Eerste tekst.",
                                           message_id="<hergebruikt@x.example>"), source="test")
    other = samples.reply(from_address="b@y.example", subject="Iets anders", body="Een heel ander bericht.",
                          message_id="<hergebruikt@x.example>")
    second = file_message(rt, other, source="test")
    assert isinstance(first, FiledReaction) and isinstance(second, FiledReaction)
    assert second.reaction_id != first.reaction_id and second.kind == "reaction"
    assert reaction_store.counts(rt.db) == {"raw_messages": 2, "reactions": 2}
    assert bytes(rt.db.execute("SELECT data FROM raw_messages WHERE id = ?", [second.raw_message_id]).fetchone()[0]) == other
    note = rt.db.execute("SELECT body FROM reaction_notes WHERE reaction_id = ?", [second.reaction_id]).fetchone()[0]
    assert f"reactie {first.reaction_id}" in note
    assert file_message(rt, other, source="test") == Duplicate(second.raw_message_id, second.reaction_id)


def test_a_raw_message_stored_before_a_crash_is_filed_on_the_next_try(rt, monkeypatch):
    raw = samples.reply(from_address="a@x.example", subject="Hoi", body="Na de crash.")

    def crash(db, items):
        raise KeyboardInterrupt("killed between the two commits")

    monkeypatch.setattr(store, "insert_reactions", crash)
    with pytest.raises(KeyboardInterrupt):
        file_message(rt, raw, source="test")
    assert reaction_store.counts(rt.db) == {"raw_messages": 1, "reactions": 0}
    monkeypatch.undo()
    result = file_message(rt, raw, source="test")
    assert isinstance(result, FiledReaction) and result.kind == "reaction" and result.resumed
    assert reaction_store.counts(rt.db) == {"raw_messages": 1, "reactions": 1}


def test_forged_token_falls_through_to_the_next_method(rt, history):
    issues, readers = history
    good = tokens.reply_address(rt.key, rt.config.sender.reply_address, issues[0].id, readers[0].subscriber_id, 1)
    local, _, domain = good.partition("@")
    forged = local[:-3] + ("aaa" if not local.endswith("aaa") else "bbb") + "@" + domain
    raw = samples.reply(from_address=readers[0].email, to=forged, subject="Re: " + issues[0].subject, body="Hoi")
    r = file_message(rt, raw, source="test")
    assert isinstance(r, FiledReaction)
    assert (r.token_status, r.attribution, r.newsletter) == ("forged", "subject", issues[0].slug)


def test_valid_token_from_another_sender_is_filed_but_marked(rt, history):
    issues, readers = history
    addr = tokens.reply_address(rt.key, rt.config.sender.reply_address, issues[1].id, readers[0].subscriber_id, 0)
    raw = samples.reply(from_address="collega@elders.example", to=addr, subject="Fwd: doorgestuurd", body="Ik reageer namens haar.")
    r = file_message(rt, raw, source="test")
    assert (r.token_status, r.attribution, r.newsletter) == ("other-sender", "token", issues[1].slug)
    row = reaction_store.list_rows(rt.db)[0]
    assert row.other_sender is True


def test_references_attribute_when_in_reply_to_is_unknown(rt, history):
    issues, readers = history
    raw = samples.reply(from_address=readers[2].email, subject="Re: iets", body="Hoi",
                        in_reply_to="<onbekend@x.example>",
                        references=(readers[2].message_ids[issues[0].id], "<onbekend@x.example>"))
    r = file_message(rt, raw, source="test")
    assert (r.attribution, r.newsletter) == ("references", issues[0].slug)


def test_attachments_are_recorded_and_stored(rt):
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Anne <anne@x.example>"
    msg["To"] = "reacties@verkenning.example.nl"
    msg["Subject"] = "Onze notitie"
    msg["Message-ID"] = "<bijlage@x.example>"
    msg.set_content("Hierbij onze notitie over de coöperatie.\n")
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 20
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="notitie.pdf")
    r = file_message(rt, msg.as_bytes(), source="test")
    rows = list(rt.db.query("SELECT filename, content_type, size, data FROM attachments WHERE reaction_id = ?",
                            [r.reaction_id]))
    assert len(rows) == 1
    assert (rows[0]["filename"], rows[0]["content_type"], rows[0]["size"]) == ("notitie.pdf", "application/pdf", len(pdf))
    assert bytes(rows[0]["data"]) == pdf
    event = rt.db.execute("SELECT actor, action, detail FROM reaction_events WHERE reaction_id = ?",
                          [r.reaction_id]).fetchone()
    assert event[:2] == ("inbox", "filed") and json.loads(event[2])["attribution"] == "none"


def test_garbage_bytes_are_filed_with_the_parser_error(rt):
    raw = b"\x00\xff\x00 not a mail at all \x00" * 10
    r = file_message(rt, raw, source="test")
    assert isinstance(r, FiledReaction) and r.error
    assert bytes(rt.db.execute("SELECT data FROM raw_messages").fetchone()[0]) == raw


def test_analyse_stores_nothing(rt, history):
    issues, readers = history
    raw = samples.reply(from_address=readers[0].email, subject="Re: " + issues[1].subject, body="Hoi")
    data = pipeline.analyse(rt, raw).as_json()
    assert data["newsletter"] == issues[1].slug and data["attribution"] == "subject"
    assert reaction_store.counts(rt.db) == {"raw_messages": 0, "reactions": 0}
