"""Is this an automatic reply (out-of-office, vacation notice)? Returns the rule that decided.

Headers first (RFC 3834 ``Auto-Submitted``, the de-facto ``X-Autoreply``/``X-Autorespond`` and
``Precedence: auto_reply``), then weaker header hints only together with an out-of-office subject,
then the subject alone, then a short body that says so in so many words.
"""

from __future__ import annotations

import re
from typing import Callable

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
MAX_BODY_FOR_TEXT_RULE = 1200  # characters; a long letter mentioning "ik ben afwezig" is still a letter


def _ooo_subject(subject: str) -> bool:
    return bool(_OOO_SUBJECT.match(subject) or _OOO_SUBJECT_ANYWHERE.search(subject))


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
    ooo_subject = _ooo_subject(subject)
    if ooo_subject and precedence in {"bulk", "junk", "list"}:
        return f"Precedence: {precedence} with out-of-office subject"
    if ooo_subject and h("X-Auto-Response-Suppress"):
        return "X-Auto-Response-Suppress with out-of-office subject"
    if ooo_subject:
        return "out-of-office subject"
    text = body.strip()
    if text and len(text) <= MAX_BODY_FOR_TEXT_RULE:
        if _OOO_BODY.search(text[:600]):
            return "out-of-office text"
    return ""
