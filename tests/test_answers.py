"""Answering a reader: a threaded plain-text mail through the real local SMTP server (aiosmtpd),
the answer kept when the relay is down, and the reader's next reply, filed by the real inbox
pipeline, joining the same conversation by its In-Reply-To."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from mailer import triage
from mailer.config import load_config
from mailer.errors import InvalidInput, SmtpUnavailable
from mailer.inbox.pipeline import file_message
from mailer.localservers import free_port
from mailer.runtime import Runtime
from mailer.web import auth, create_app
from support.samples import reader_mail
from support.web_sample import add_newsletter
from conftest import write_config

LETTER = ("Dank voor het stuk over de coöperatie in onze wijk. Wij werken al tien\n"
          "jaar samen met de gemeente.\n\nGroet,\nAnna")


@pytest.fixture
def rt(tmp_path, smtp_server):
    runtime = Runtime(load_config(write_config(tmp_path, smtp_server.port)))
    add_newsletter(runtime.db)
    yield runtime
    runtime.close()


def test_answer_is_threaded_quoted_plain_text_from_the_sender(rt, smtp_server):
    rid = file_message(rt, reader_mail(LETTER, "<brief-1@example.org>", References="<issue-1@example.nl>"),
                       source="import:test").reaction_id
    sent = triage.answer(rt.config, rt.db, rid, "Dank je, Anna! We nemen het mee.", "bram")
    assert sent.sent_at and sent.error == ""
    [got] = smtp_server.messages
    assert got.rcpt_tos == ["anna@example.org"] and got.mail_from == rt.config.sender.bounce_address
    msg = message_from_bytes(got.data, policy=policy.default)
    assert msg["In-Reply-To"] == "<brief-1@example.org>"
    assert msg["References"] == "<issue-1@example.nl> <brief-1@example.org>"
    assert msg["Subject"] == "Re: Samen verder" and msg["Reply-To"] == rt.config.sender.reply_address
    assert rt.config.sender.from_address in msg["From"] and msg.get_content_type() == "text/plain"
    text = msg.get_content()
    assert text.startswith("Dank je, Anna! We nemen het mee.")
    assert "Op 30-11-2026 09:15 schreef Anna de Vries:" in text and "> jaar samen met de gemeente." in text
    assert msg["Message-ID"].strip("<>") == sent.message_id
    with pytest.raises(InvalidInput):
        triage.answer(rt.config, rt.db, rid, "   ", "bram")
    assert len(smtp_server.messages) == 1


def test_the_readers_next_reply_joins_the_conversation(rt, smtp_server):
    first = file_message(rt, reader_mail(LETTER, "<brief-2@example.org>"), source="import:test").reaction_id
    sent = triage.answer(rt.config, rt.db, first, "Mogen we je citeren?", "bram")
    reply = file_message(rt, reader_mail("Ja hoor, met naam.", "<brief-3@example.org>", subject="Re: Re: Samen verder",
                                         In_Reply_To=f"<{sent.message_id}>",
                                         References=f"<brief-2@example.org> <{sent.message_id}>"),
                         source="import:test").reaction_id
    other = file_message(rt, reader_mail("Los bericht.", "<brief-4@example.org>"), source="import:test").reaction_id
    assert triage.root_of(rt.db, reply) == first
    for rid in (first, reply):
        turns = triage.conversation(rt.db, rid)
        assert [(t.by_team, t.text.splitlines()[0]) for t in turns] == [
            (False, "Dank voor het stuk over de coöperatie in onze wijk. Wij werken al tien"),
            (True, "Mogen we je citeren?"), (False, "Ja hoor, met naam.")]
    assert other not in [t.reaction_id for t in triage.conversation(rt.db, first)]


def test_an_answer_is_kept_when_the_relay_is_down_and_can_be_sent_again(tmp_path, smtp_server):
    down = Runtime(load_config(write_config(tmp_path, free_port())))
    try:
        rid = file_message(down, reader_mail(LETTER, "<brief-5@example.org>"), source="import:test").reaction_id
        with pytest.raises(SmtpUnavailable):
            triage.answer(down.config, down.db, rid, "Dit mag niet verloren gaan.", "bram")
        [kept] = [t.answer for t in triage.conversation(down.db, rid) if t.by_team]
        assert kept.body == "Dit mag niet verloren gaan." and kept.sent_at is None and kept.error
    finally:
        down.close()
    up = Runtime(load_config(write_config(tmp_path, smtp_server.port)))
    try:
        again = triage.resend(up.config, up.db, kept.id)
        assert again.sent_at and again.message_id == kept.message_id
        [got] = smtp_server.messages
        assert message_from_bytes(got.data, policy=policy.default)["Message-ID"] == f"<{kept.message_id}>"
        with pytest.raises(InvalidInput):
            triage.resend(up.config, up.db, kept.id)  # never twice
    finally:
        up.close()


def test_the_reply_composer_on_the_reaction_page(rt, smtp_server):
    auth.create_user(rt.db, "anna", "correct horse battery")
    rid = file_message(rt, reader_mail(LETTER + "\n<script>alert(1)</script>", "<brief-6@example.org>"),
                       source="import:test").reaction_id
    client = create_app(rt, testing=True).test_client()
    csrf = lambda html: re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # noqa: E731
    client.post("/team/login", data={"name": "anna", "password": "correct horse battery",
                                     "csrf_token": csrf(client.get("/team/login").get_data(as_text=True))})
    page = client.get(f"/team/reactions/{rid}").get_data(as_text=True)
    assert 'id="answer-form"' in page and "Beantwoorden" in page
    resp = client.post(f"/team/reactions/{rid}/answer", follow_redirects=True,
                       data={"csrf_token": csrf(page), "body": "Dank je <b>wel</b>!"})
    html = resp.get_data(as_text=True)
    assert "Antwoord verstuurd aan anna@example.org." in html
    assert 'id="conversation"' in html and "Dank je &lt;b&gt;wel&lt;/b&gt;!" in html
    assert "door anna beantwoord aan anna@example.org" in html
    assert len(smtp_server.messages) == 1
