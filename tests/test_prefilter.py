"""The word prefilter before case-insensitive searches (mailer/inbox/prefilter.py)."""

from __future__ import annotations

import re

import pytest

from mailer.inbox import autoreply, bounces
from mailer.inbox.prefilter import CASE_ODD, may_hold_any

EVERYTHING = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


@pytest.mark.parametrize("words", [autoreply._OOO_BODY_WORDS, bounces._DAEMON_NAME_WORDS])
def test_the_case_odd_characters_are_all_there_are(words: tuple[str, ...]) -> None:
    """The characters IGNORECASE lets a letter of the words match, besides those whose lower() is
    that letter, are all in CASE_ODD: any other text is searched only with a word in it."""
    odd = set()
    for letter in set("".join(words)):
        odd |= {ch for ch in re.findall(f"[{letter}]", EVERYTHING, re.IGNORECASE) if ch.lower() != letter}
    assert odd <= set(CASE_ODD)


def test_a_word_in_any_case_or_a_case_odd_character_is_searched() -> None:
    assert may_hold_any("Ik ben AFWEZIG", ("wezig",))
    assert may_hold_any("MAIL DELİVERY", ("nothing",))  # İ: searched whatever the words
    assert not may_hold_any("Dank voor de nieuwsbrief", ("wezig", "kantoor"))
