"""Is this an automatic reply (out-of-office, vacation notice)? Returns the rule that decided.

Headers first (RFC 3834 ``Auto-Submitted``, the de-facto ``X-Autoreply``/``X-Autorespond`` and
``Precedence: auto_reply``), then weaker header hints only together with an out-of-office subject,
then the subject alone, then a short body that says so in so many words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

from .prefilter import may_hold_any

HeaderGetter = Callable[[str], str]

_OOO_SUBJECT = re.compile(
    r"^\s*(?:\[?(?:automatisch(?:e)?\s+(?:antwoord|beantwoording|reply)|automatic\s+reply|auto[- ]?reply|autoreply|auto\s*:"
    r"|auto[- ]?response|out\s+of\s+(?:the\s+)?office|ooo\b|afwezig(?:heid|heidsmelding)?\b|niet\s+aanwezig"
    r"|abwesenheitsnotiz|abwesend\b|automatische\s+antwort|r[ée]ponse\s+automatique|absence\b"
    r"|vacation\s+(?:reply|response|notice)|on\s+vacation|op\s+vakantie|met\s+vakantie|vakantiebericht)\]?)",
    re.IGNORECASE,
)
# Also accept these anywhere after "Re:"-style prefixes, e.g. "Re: Samen verder [Afwezig]".
_OOO_SUBJECT_ANYWHERE = re.compile(
    r"(?:\[(?:afwezig|out of office|ooo|auto(?:matic)?\s*reply)\]|\((?:afwezig|out of office)\)"
    r"|\b(?:automatisch antwoord|automatic reply|out of (?:the )?office|abwesenheitsnotiz|r[ée]ponse automatique)\s*:)",
    re.IGNORECASE,
)
_OOO_BODY = re.compile(
    r"\b(?:ik\s+ben\s+(?:momenteel\s+|tijdelijk\s+|vandaag\s+|helaas\s+)?(?:afwezig|niet\s+aanwezig|op\s+vakantie|met\s+vakantie"
    r"|niet\s+(?:op\s+kantoor|bereikbaar))|ben\s+(?:ik\s+)?(?:tot\s+en\s+met|t/m|tot|van)\b.{1,60}\b(?:afwezig|niet\s+aanwezig"
    r"|op\s+vakantie|niet\s+bereikbaar|niet\s+op\s+(?:kantoor|het\s+werk)|met\s+verlof)|dit\s+is\s+een\s+automatisch(?:\s+gegenereerd)?\s+(?:antwoord|bericht)"
    r"|i\s+am\s+(?:currently\s+)?(?:out\s+of\s+(?:the\s+)?office|away|on\s+(?:annual\s+)?leave|on\s+vacation)"
    r"|i'?m\s+(?:currently\s+)?(?:out\s+of\s+(?:the\s+)?office|away\s+(?:from|until)|on\s+(?:annual\s+)?leave)"
    r"|this\s+is\s+an\s+automa(?:tic|ted)\s+(?:reply|response|message)"
    r"|i\s+will\s+be\s+(?:out\s+of\s+(?:the\s+)?office|away|absent|on\s+(?:annual\s+)?leave)"
    r"|ich\s+bin\s+(?:bis|vom|derzeit|zurzeit)\b.{0,60}\b(?:abwesend|nicht\s+im\s+b[üu]ro)"
    r"|je\s+suis\s+(?:actuellement\s+)?absent)",
    re.IGNORECASE,
)
# _OOO_BODY with a lookahead on the letters its branches start with: the same matches, but a
# position that cannot start a branch is passed over at once instead of trying the whole
# case-insensitive alternation there (speed: searching a bench reply 6.1 -> 3.3 us;
# tests/test_autoreply.py checks the letters against the pattern).
_OOO_BODY_FIRST = "ibdtj"


def _top_level_branches(alternation: str) -> list[str]:
    """The branches of a regex alternation, split at its top-level "|" (not inside (), [] or an escape)."""
    branches, depth, start, i = [], 0, 0, 0
    while i < len(alternation):
        ch = alternation[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = alternation.index("]", i + 2) + 1
            continue
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            branches.append(alternation[start:i])
            start = i + 1
        i += 1
    return branches + [alternation[start:]]


# Every character IGNORECASE lets [ibdtj] match (with the Turkish dotted and dotless i), spelled
# out: a pattern that starts with a plain character class lets the regex engine skip through the
# text in C to the next such character, where a lookahead or IGNORECASE class makes it try the
# pattern at every position (tests/test_autoreply.py checks the class).
_OOO_BODY_FIRST_CASED = "BDIJTbdijt\u0130\u0131"
_OOO_BODY_BRANCHES = _top_level_branches(_OOO_BODY.pattern[len(r"\b(?:"):-1])
# _OOO_BODY for searching: the first letter of a branch is read by that class, at a word start
# (the lookbehind is _OOO_BODY's \b before a letter), then the branches that start with it go on
# from the next character (each after a lookbehind on its letter, case-insensitive as before).
# The same matches, at the same places (speed: searching a bench reply 3.5 -> 2.2 us;
# tests/test_autoreply.py compares the two).
_OOO_BODY_SEARCH = re.compile(
    f"[{_OOO_BODY_FIRST_CASED}](?<!\\w[{_OOO_BODY_FIRST_CASED}])(?i:" + "|".join(
        f"(?<={letter})(?:" + "|".join(b[1:] for b in _OOO_BODY_BRANCHES if b[0] == letter) + ")"
        for letter in _OOO_BODY_FIRST) + ")")
# One of these words (lower case) is in every match of _OOO_BODY: each branch ends in what the
# reader is (afwezig, niet aanwezig, op vakantie, niet op kantoor, niet bereikbaar, niet op het
# werk, met verlof, automatisch ..., out of office, away, on leave, on vacation, absent,
# abwesend, nicht im büro or buro). A text whose lower-cased form holds none of them is not
# searched (speed: see _may_say_away; the characters IGNORECASE lets match a letter otherwise,
# İ, ı and ſ, are handled in prefilter.py).
_OOO_BODY_WORDS = ("wezig", "vakantie", "kantoor", "bereikbaar", "werk", "verlof", "automa", "office", "away",
                   "leave", "vacation", "absent", "abwesend", "büro", "buro")


def _may_say_away(text: str) -> bool:
    """False when _OOO_BODY cannot match in ``text`` (see _OOO_BODY_WORDS; speed: the search tries
    its branches at every word that starts with one of their first letters; detect 42,200 ->
    24,100 instructions a bench reply, callgrind)."""
    return may_hold_any(text, _OOO_BODY_WORDS)


MAX_BODY_FOR_TEXT_RULE = 1200  # characters; a long letter mentioning "ik ben afwezig" is still a letter


def _ooo_subject(subject: str) -> bool:
    return bool(_OOO_SUBJECT.match(subject) or _OOO_SUBJECT_ANYWHERE.search(subject))


# Remembered per subject (speed: _OOO_SUBJECT_ANYWHERE tries its alternation at every position,
# ~3 us, and most replies to an issue share its "Re: ..." subject); short subjects only, so the
# cache stays small.
_is_ooo_subject = lru_cache(maxsize=4096)(_ooo_subject)


def detect(h: HeaderGetter, subject: str, body: str) -> str:
    """The rule that marks this message automatic, or ''. ``h(name)`` returns a decoded header or ''."""
    auto_submitted = h("Auto-Submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted.split(';')[0][:40]}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        value = h(name).strip().lower()
        if value and value not in {"no", "false", "0"}:
            return f"{name} header"
    precedence = h("Precedence").strip().lower()
    if precedence in {"auto_reply", "auto-reply"}:
        return f"Precedence: {precedence}"
    ooo_subject = _is_ooo_subject(subject) if len(subject) <= 300 else _ooo_subject(subject)
    if ooo_subject and precedence in {"bulk", "junk", "list"}:
        return f"Precedence: {precedence} with out-of-office subject"
    if ooo_subject and h("X-Auto-Response-Suppress"):
        return "X-Auto-Response-Suppress with out-of-office subject"
    if ooo_subject:
        return "out-of-office subject"
    text = body.strip()
    if text and len(text) <= MAX_BODY_FOR_TEXT_RULE:
        start = text[:600]
        if _may_say_away(start) and _OOO_BODY_SEARCH.search(start):
            return "out-of-office text"
    return ""
