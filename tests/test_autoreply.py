"""Automatic replies: RFC 3834 headers, de-facto headers, out-of-office subjects and texts."""

from __future__ import annotations

import pytest

from mailer.inbox import autoreply
from mailer.inbox.parse import parse_message


def msg(headers: str, subject: str = "Re: Samen verder", body: str = "Dank voor uw bericht.") -> bytes:
    return f"From: a@b.nl\r\nTo: reacties@verkenning.example.nl\r\nSubject: {subject}\r\n{headers}\r\n{body}\r\n".encode()


@pytest.mark.parametrize(("headers", "subject", "reason"), [
    ("Auto-Submitted: auto-replied\r\n", "Re: Samen verder", "Auto-Submitted: auto-replied"),
    ("Auto-Submitted: auto-generated\r\n", "Re: Samen verder", "Auto-Submitted: auto-generated"),
    ("X-Autoreply: yes\r\n", "Re: Samen verder", "X-Autoreply header"),
    ("X-Autorespond: Ik ben weg\r\n", "Re: Samen verder", "X-Autorespond header"),
    ("Precedence: auto_reply\r\n", "Re: Samen verder", "Precedence: auto_reply"),
    ("Precedence: bulk\r\n", "Out of office: Samen verder", "Precedence: bulk with out-of-office subject"),
    ("X-Auto-Response-Suppress: All\r\n", "Automatisch antwoord: Samen verder",
     "X-Auto-Response-Suppress with out-of-office subject"),
    ("", "Afwezig", "out-of-office subject"),
    ("", "Automatic reply: Samen verder", "out-of-office subject"),
    ("", "Niet aanwezig tot 1 december", "out-of-office subject"),
    ("", "Abwesenheitsnotiz: Samen verder", "out-of-office subject"),
    ("", "Réponse automatique : Samen verder", "out-of-office subject"),
])
def test_auto_reply_rules(headers: str, subject: str, reason: str) -> None:
    p = parse_message(msg(headers, subject))
    assert p.kind == "auto_reply" and p.auto_reply_reason == reason


@pytest.mark.parametrize("body", [
    "Ik ben momenteel afwezig en lees mijn mail vanaf 1 december.",
    "Ik ben tot en met 30 november niet aanwezig.",
    "I am currently out of the office until Monday.",
    "This is an automatic reply: your message has been received.",
])
def test_out_of_office_text(body: str) -> None:
    assert parse_message(msg("", body=body)).auto_reply_reason == "out-of-office text"


def test_auto_submitted_no_is_a_person() -> None:
    assert parse_message(msg("Auto-Submitted: no\r\n")).kind == "reaction"


def test_long_letter_mentioning_absence_is_a_reaction() -> None:
    body = ("Vorige maand was ik afwezig, maar nu heb ik uw nieuwsbrief gelezen. Ik ben momenteel afwezig "
            "geweest bij veel overleggen, en dat zegt iets over onze organisatie. ") + "Uitgebreide gedachten. " * 60
    assert parse_message(msg("", body=body)).kind == "reaction"


@pytest.mark.parametrize("subject", ["Re: Afwezigheid van burgers in het beleid", "Re: Out of the box denken",
                                     "Re: Samen verder"])
def test_ordinary_subjects_are_not_auto_replies(subject: str) -> None:
    assert parse_message(msg("", subject=subject)).kind == "reaction"


def test_lotus_notes_auto_subject() -> None:
    assert parse_message(msg("", "Auto: Samen verder")).auto_reply_reason == "out-of-office subject"


@pytest.mark.parametrize("body", [
    "Ik ben van 23 november tot en met 4 december niet op kantoor en lees mijn mail niet.",
    "Ik ben tot 1 maart met verlof.",
    "I will be out of the office starting 20-11-2026 and will not return until 30-11-2026.",
])
def test_out_of_office_text_without_headers(body: str) -> None:
    assert parse_message(msg("", body=body)).kind == "auto_reply"


def test_auto_in_the_middle_of_a_subject_is_not_an_auto_reply() -> None:
    assert parse_message(msg("", "Re: Auto: delen in de wijk", body="Wij delen al twee auto's.")).kind == "reaction"


@pytest.mark.parametrize("text", ["Ik ben afwezig tot maandag.", "IK BEN TOT EN MET 3 MEI NIET OP HET WERK",
                                  "ben ik van 1 tot 3 mei met verlof", "Dit is een automatisch gegenereerd bericht",
                                  "I am on annual leave", "I'm away until Monday", "This is an automated response",
                                  "I will be absent", "Ich bin bis Montag nicht im Büro", "ich bin derzeit abwesend",
                                  "Je suis actuellement absent", "I am on vacation", "I will be out of the office",
                                  "Ik ben momenteel niet aanwezig", "ık ben afwezıg", "thiſ iſ an automatic reply"])
def test_every_out_of_office_wording_is_recognised(text: str) -> None:
    assert autoreply.detect(lambda name: "", "Re: Samen verder", text) == "out-of-office text"


def test_a_plain_reply_is_not_out_of_office() -> None:
    assert autoreply.detect(lambda name: "", "Re: Samen verder", "Dank voor deze nieuwsbrief. Groet, Noor") == ""
