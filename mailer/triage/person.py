"""Acting on the person behind a reaction: unsubscribe them (with a reason, in the consent log),
show everything held about them, or forget them (a privacy request). The work itself is done by
``subscribers``; this module finds the person and recognises a reply that asks to unsubscribe."""

from __future__ import annotations

import re
from typing import Any

import sqlite_utils

from subscribers import privacy
from subscribers import unsubscribe as unsubscribing
from subscribers.privacy import ForgetReport

from ..db import transaction, utcnow
from ..errors import InvalidInput, NotFound
from ..stores import reactions
from .detail import get_reaction

# Words a reader uses to ask to be taken off the list, in Dutch and English.
_WANTS_OFF = re.compile(
    r"\b(?:afmelden|afmelding|uitschrijven|uit\s*schrijven|schrijf\s+(?:mij|me)\s+uit|meld\s+(?:mij|me)\s+af|"
    r"unsubscribe|unsubscribing|opt[\s-]?out|remove\s+me|geen\s+nieuwsbrief\s+meer)\b",
    re.IGNORECASE)


def wants_unsubscribe(text: str) -> bool:
    """Does the reader's own text (quotes stripped) ask to unsubscribe?"""
    return bool(_WANTS_OFF.search(text))


def _subscriber_id(db: sqlite_utils.Database, reaction_id: int) -> tuple[int, str]:
    d = get_reaction(db, reaction_id)
    if d.sender.subscriber_id is None:
        raise NotFound("the sender of this reaction is not a subscriber: there is nobody to unsubscribe or forget")
    return d.sender.subscriber_id, d.sender.email


def unsubscribe(db: sqlite_utils.Database, reaction_id: int, reason: str, actor: str) -> bool:
    """Unsubscribe the sender of a reaction; the reason and who did it go into the consent log.
    True if they were on the list."""
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise InvalidInput("give a reason for unsubscribing, e.g. 'asked for it in their reply'")
    sub_id, _email = _subscriber_id(db, reaction_id)
    changed = unsubscribing.unsubscribe(db, sub_id, "team", detail=f"{actor} (reaction {reaction_id}): {reason}")
    if changed:
        with transaction(db):
            reactions.record_event(db, reaction_id, actor, "unsubscribed", reason, utcnow())
    return changed


def privacy_report(db: sqlite_utils.Database, reaction_id: int) -> dict[str, Any]:
    """Everything held about the sender (a privacy request to see it)."""
    _sub_id, email = _subscriber_id(db, reaction_id)
    return privacy.show(db, email)


def forget(db: sqlite_utils.Database, reaction_id: int, confirm_address: str) -> ForgetReport:
    """Erase the sender (privacy request), once the address was typed again to confirm."""
    _sub_id, email = _subscriber_id(db, reaction_id)
    if confirm_address.strip().lower() != email.strip().lower():
        raise InvalidInput("the address typed does not match the sender's: nothing was erased")
    return privacy.forget(db, email)
