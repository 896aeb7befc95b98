"""Automatic replies: RFC 3834 headers, de-facto headers, out-of-office subjects and texts."""

from __future__ import annotations

import pytest

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


# --- the out-of-office text search with its first-letter lookahead --------------------------------

import re  # noqa: E402

from conftest import first_letters  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mailer.inbox import autoreply  # noqa: E402


def test_ooo_body_lookahead_lists_every_first_letter() -> None:
    assert first_letters(autoreply._OOO_BODY) == set(autoreply._OOO_BODY_FIRST)


def test_ooo_body_lookahead_matches_the_same_characters_as_the_letters() -> None:
    flags = autoreply._OOO_BODY.flags
    one_class = re.compile(f"[{autoreply._OOO_BODY_FIRST}]", flags)
    literals = re.compile("|".join(autoreply._OOO_BODY_FIRST), flags)
    for code in range(0x110000):
        ch = chr(code)
        assert (one_class.fullmatch(ch) is None) == (literals.fullmatch(ch) is None), hex(code)


@pytest.mark.parametrize("text", ["Ik ben afwezig tot maandag.", "Goedemorgen, IK BEN tot en met 3 mei niet bereikbaar",
                                  "I'm away from my desk", "ıch bin bis Montag abwesend", "Gewoon een reactie.", ""])
def test_ooo_body_search_finds_what_the_pattern_finds(text: str) -> None:
    assert (autoreply._OOO_BODY_SEARCH.search(text) is None) == (autoreply._OOO_BODY.search(text) is None)


def test_ooo_body_search_class_is_the_letters_with_their_case_variants() -> None:
    letters = re.compile(f"[{autoreply._OOO_BODY_FIRST}]", autoreply._OOO_BODY.flags)
    cased = re.compile(f"[{autoreply._OOO_BODY_FIRST_CASED}]")
    for code in range(0x110000):
        ch = chr(code)
        assert (letters.fullmatch(ch) is None) == (cased.fullmatch(ch) is None), hex(code)
        if cased.fullmatch(ch):
            assert re.fullmatch(r"\w", ch)  # so the lookbehind is _OOO_BODY's \b in front of it


def test_ooo_body_search_keeps_every_branch() -> None:
    branches = autoreply._OOO_BODY_BRANCHES
    assert "|".join(branches) == autoreply._OOO_BODY.pattern[len(r"\b(?:"):-1]
    assert autoreply._OOO_BODY.pattern.startswith(r"\b(?:") and autoreply._OOO_BODY.pattern.endswith(")")
    assert [b[0] for b in branches] == [chr(c) for c in _first_letter_codes(autoreply._OOO_BODY)]
    assert {b[0] for b in branches} == set(autoreply._OOO_BODY_FIRST)


def _first_letter_codes(pattern: re.Pattern) -> list[int]:
    items = list(re._parser.parse(pattern.pattern, pattern.flags))
    while items and str(items[0][0]) == "AT":
        items.pop(0)
    return [branch[0][1] for branch in items[0][1][1]]


_OOO_WORDS = st.sampled_from(["ik", "IK", "ben", "Ben", "tot", "t/m", "van", "afwezig", "niet", "aanwezig", "op", "vakantie",
                              "dit", "is", "een", "automatisch", "i", "I", "İ", "ı", "am", "i'm", "Im", "away", "this", "an",
                              "automated", "reply", "will", "be", "absent", "ich", "bin", "bis", "abwesend", "je", "suis",
                              "x", "Bij", "in", "2026", "\n", " ", "  ", "-", "_", "é", "ţ", "out", "of", "office", "from",
                              # the rest of _OOO_BODY's words, and letters IGNORECASE reads as others
                              "kantoor", "bereikbaar", "het", "werk", "met", "verlof", "gegenereerd", "bericht", "currently",
                              "on", "leave", "annual", "vacation", "the", "until", "nicht", "im", "büro", "BÜRO", "buro",
                              "actuellement", "AFWEZIG", "Vakantie", "ſ", "K", "\xa0"])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_OOO_WORDS, max_size=16).map(" ".join), st.lists(_OOO_WORDS, max_size=16).map("".join))
def test_ooo_body_search_equals_the_pattern(spaced: str, glued: str) -> None:
    for text in (spaced, glued, spaced + glued, glued + " " + spaced):
        assert (autoreply._OOO_BODY_SEARCH.search(text) is None) == (autoreply._OOO_BODY.search(text) is None), text
        if autoreply._OOO_BODY.search(text):
            assert autoreply._may_say_away(text), text


@pytest.mark.parametrize("text", ["Ik ben afwezig tot maandag.", "IK BEN TOT EN MET 3 MEI NIET OP HET WERK",
                                  "ben ik van 1 tot 3 mei met verlof", "Dit is een automatisch gegenereerd bericht",
                                  "I am on annual leave", "I'm away until Monday", "This is an automated response",
                                  "I will be absent", "Ich bin bis Montag nicht im Büro", "ich bin derzeit abwesend",
                                  "Je suis actuellement absent", "I am on vacation", "I will be out of the office",
                                  "Ik ben momenteel niet aanwezig", "ık ben afwezıg", "thiſ iſ an automatic reply"])
def test_ooo_body_words_are_in_every_match(text: str) -> None:
    assert autoreply._OOO_BODY.search(text) and autoreply._may_say_away(text)


def test_a_plain_reply_is_not_searched_for_out_of_office_words() -> None:
    assert not autoreply._may_say_away("Dank voor deze nieuwsbrief. Groet, Noor")
