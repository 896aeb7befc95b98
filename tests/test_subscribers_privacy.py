"""Privacy requests: ``show`` gathers everything held about one person, ``forget`` erases it from
every table that holds it (reactions, raw messages, attachments, deliveries, test sends, consent
log, subscriber row) and leaves everyone else's data alone."""

from __future__ import annotations

import json

import pytest

from conftest import write_config
from mailer.config import load_config
from mailer.errors import NotFound
from mailer.runtime import Runtime
from support.web_sample import SampleReaction, add_newsletter, insert_reaction
from subscribers import privacy, store

ILSE = "ilse@buurtmaalnoord.example.nl"
OTHER = "kees@example.org"


@pytest.fixture
def held(tmp_path):
    """Ilse and Kees, each with a delivery and a reaction; a bounce report naming both; a test
    send to Ilse's address."""
    rt = Runtime(load_config(write_config(tmp_path)))
    db = rt.db
    nl = add_newsletter(db)
    ilse = store.add(db, ILSE, "Ilse Vermeulen")
    kees = store.add(db, OTHER, "Kees van Dijk")
    for sub in (ilse, kees):
        db.execute("INSERT INTO deliveries (newsletter_id, subscriber_id, email, message_id, status, attempts,"
                   " last_error, sent_at, updated_at) VALUES (?,?,?,?,'sent',1,'452 vol',?,?)",
                   [nl.id, sub.id, sub.email, f"<{sub.id}@mailer.example>", "2026-11-26T08:00:00+00:00",
                    "2026-11-26T08:00:00+00:00"])
    db.execute("INSERT INTO test_sends (newsletter_id, email, message_id, sent_at) VALUES (?,?,?,?)",
               [nl.id, ILSE, "<test@mailer.example>", "2026-11-25T08:00:00+00:00"])
    ids = {
        "ilse": insert_reaction(db, SampleReaction(
            from_name="Ilse Vermeulen", from_address=ILSE, reply_text="Onze buurtmaaltijd in Noord.",
            newsletter_id=nl.id, subscriber_id=ilse.id, attachments=[("plan.pdf", "application/pdf", b"%PDF-1")],
            received_at="2026-11-27T10:00:00+00:00")),
        "kees": insert_reaction(db, SampleReaction(
            from_name="Kees van Dijk", from_address=OTHER, reply_text="Mooi stuk.", newsletter_id=nl.id,
            subscriber_id=kees.id, received_at="2026-11-27T11:00:00+00:00")),
        "bounce": insert_reaction(db, SampleReaction(
            kind="bounce", from_name="Mail Delivery System", from_address="mailer-daemon@example.net",
            reply_text="Delivery failed", bounced_addresses=[ILSE, OTHER],
            received_at="2026-11-27T12:00:00+00:00")),
    }
    yield rt, nl, ilse, kees, ids
    rt.close()


def test_show_gathers_subscriber_consent_deliveries_and_reactions(held):
    rt, nl, ilse, _kees, ids = held
    shown = privacy.show(rt.db, ILSE.upper())
    assert shown["subscriber"]["email"] == ILSE and shown["subscriber"]["themes"] == []
    assert [e["action"] for e in shown["consent_log"]] == ["add"]
    assert shown["suppressed"] is None
    (delivery,) = shown["deliveries"]
    assert (delivery["newsletter"], delivery["email"], delivery["status"]) == (nl.slug, ILSE, "sent")
    assert [r["id"] for r in shown["reactions"]] == [ids["ilse"], ids["bounce"]]
    own = shown["reactions"][0]
    assert (own["newsletter"], own["from_address"], own["attachments"]) == (nl.slug, ILSE, 1)
    json.dumps(shown)  # the CLI prints it as JSON
    with pytest.raises(NotFound):
        privacy.show(rt.db, "niemand@example.org")


def test_forget_erases_one_person_everywhere_and_nobody_else(held):
    rt, _nl, ilse, kees, ids = held
    db = rt.db
    report = privacy.forget(db, ILSE)
    assert (report.subscriber_id, report.reactions_anonymised, report.raw_messages_erased,
            report.attachments_deleted, report.deliveries_blanked, report.consent_entries_blanked) == \
        (ilse.id, 2, 2, 1, 1, 1)

    own = next(db.query("SELECT * FROM reactions WHERE id = ?", [ids["ilse"]]))
    assert own["from_address"] == own["from_name"] == ""
    assert own["reply_text"] == own["full_text"] == own["html_body"] == privacy.PLACEHOLDER
    bounce = next(db.query("SELECT * FROM reactions WHERE id = ?", [ids["bounce"]]))
    assert json.loads(bounce["bounced_addresses"]) == [OTHER]
    assert db.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0
    sizes = {r[0]: r[1] for r in db.execute(
        "SELECT x.id, length(m.data) FROM reactions x JOIN raw_messages m ON m.id = x.raw_message_id")}
    assert sizes[ids["ilse"]] == sizes[ids["bounce"]] == 0 and sizes[ids["kees"]] > 0
    # Search no longer finds her words.
    assert db.execute("SELECT count(*) FROM reactions_fts WHERE reactions_fts MATCH 'buurtmaaltijd'").fetchone()[0] == 0

    deliveries = {r["subscriber_id"]: r for r in db.query("SELECT * FROM deliveries")}
    assert deliveries[ilse.id]["email"] == deliveries[ilse.id]["last_error"] == ""
    assert deliveries[kees.id]["email"] == OTHER and deliveries[kees.id]["last_error"] == "452 vol"
    assert [r[0] for r in db.execute("SELECT email FROM test_sends")] == [""]

    assert store.find_by_email(db, ILSE) is None and store.get(db, ilse.id).status == "forgotten"
    assert store.is_suppressed(db, ILSE) and store.suppression_reason(db, ILSE) == "forgotten"
    assert store.get(db, kees.id).email == OTHER and not store.is_suppressed(db, OTHER)
    dump = "\n".join(str(v) for table in ("subscribers", "consent_log", "reactions", "deliveries", "test_sends")
                     for row in db.query(f"SELECT * FROM {table}") for v in row.values())
    assert "ilse" not in dump.lower()
    kees_reaction = next(db.query("SELECT from_address, reply_text FROM reactions WHERE id = ?", [ids["kees"]]))
    assert kees_reaction == {"from_address": OTHER, "reply_text": "Mooi stuk."}
    with pytest.raises(NotFound):
        privacy.forget(db, ILSE)
