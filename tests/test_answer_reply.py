"""The reader's reply to the team's answer, end to end: the answer goes out through the reaction
page to the real local SMTP server (aiosmtpd) threaded to the reader's letter; the reader's reply,
pointing at the answer's Message-ID, lands in the real IMAP server (pymap), is polled and filed
under the same newsletter, theme and subscriber as the first letter, in the same conversation."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from mailer import tokens, triage
from mailer.inbox import poll
from mailer.runtime import Runtime
from mailer.stores import newsletters, reactions
from mailer.web import auth, create_app
from subscribers import store as subs
from support.samples import reader_mail
from support.web_sample import add_newsletter
from conftest import append_to

PASSWORD = "answer-reply-password"


@pytest.fixture
def rt(config):
    runtime = Runtime(config)
    yield runtime
    runtime.close()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_readers_reply_to_an_answer_joins_the_conversation_filed_alike(rt, smtp_server, imap_server):
    nl = add_newsletter(rt.db)
    newsletters.set_status(rt.db, nl.id, "sent")
    anna = subs.add(rt.db, "anna@example.org", "Anna de Vries")
    # Her first letter answers the second theme through its signed reply address.
    to = tokens.reply_address(rt.key, rt.config.sender.reply_address, nl.id, anna.id, theme_index=2)
    append_to(imap_server.port, reader_mail("Over groeipijn: wij lopen vast op de regels.", "<brief-1@example.org>", to=to))
    assert poll.poll_once(rt).filed == 1
    [first] = [r.id for r in reactions.list_rows(rt.db)]
    filed = reactions.get_record(rt.db, first)
    assert (filed.newsletter_id, filed.theme_slug, filed.subscriber_id) == (nl.id, "de-nieuwe-makers", anna.id)

    # The team answers on the reaction page; the relay receives it threaded to her letter.
    auth.create_user(rt.db, "bram", PASSWORD)
    client = create_app(rt, testing=True).test_client()
    client.post("/team/login", data={"name": "bram", "password": PASSWORD,
                                     "csrf_token": _csrf(client.get("/team/login").get_data(as_text=True))})
    page = client.get(f"/team/reactions/{first}").get_data(as_text=True)
    resp = client.post(f"/team/reactions/{first}/answer", data={"csrf_token": _csrf(page),
                                                                "body": "Dank je! Mogen we je citeren?"})
    assert resp.status_code == 302
    [sent] = smtp_server.messages
    answer = message_from_bytes(sent.data, policy=policy.default)
    assert answer["In-Reply-To"] == "<brief-1@example.org>" and "<brief-1@example.org>" in answer["References"]

    # Her reply to the answer, from her mail program: to the plain reactions address, no token.
    reply = reader_mail("Ja hoor, met mijn naam.", "<brief-2@example.org>", to=rt.config.sender.reply_address,
                 subject="Re: Re: Samen verder", In_Reply_To=answer["Message-ID"],
                 References=f"{answer['References']} {answer['Message-ID']}")
    append_to(imap_server.port, reply)
    assert poll.poll_once(rt).filed == 1
    [second] = [r.id for r in reactions.list_rows(rt.db) if r.id != first]
    got = reactions.get_record(rt.db, second)
    assert (got.newsletter_id, got.theme_slug, got.subscriber_id) == (nl.id, "de-nieuwe-makers", anna.id)
    assert (got.attribution, got.theme_attribution) == ("answer", "answer")
    assert triage.root_of(rt.db, second) == first

    # Shown under the first letter, after the answer; and on the reply's own page the same thread.
    for rid in (first, second):
        html = client.get(f"/team/reactions/{rid}").get_data(as_text=True)
        thread = html[html.index('id="conversation"'):]
        assert thread.index("Dank je! Mogen we je citeren?") < thread.index("Ja hoor, met mijn naam.")
    assert "antwoord op het antwoord van het team" in client.get(f"/team/reactions/{second}").get_data(as_text=True)


def test_a_reply_naming_an_unknown_message_is_not_filed_as_an_answer(rt, imap_server):
    nl = add_newsletter(rt.db)
    newsletters.set_status(rt.db, nl.id, "sent")
    append_to(imap_server.port, reader_mail("Ja hoor.", "<brief-3@example.org>", to=rt.config.sender.reply_address,
                                     In_Reply_To="<niet-van-ons@example.nl>"))
    assert poll.poll_once(rt).filed == 1
    [row] = reactions.list_rows(rt.db)
    assert row.attribution != "answer"
