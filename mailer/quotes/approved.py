"""The approved passages an issue may quote: each ``{{ citaat N }}`` of the issue looked up in the
consent log. Render, preview and send stop with one line naming the reaction when the reader did
not agree (or agreed to other words); the public archive leaves such a quote out instead."""

from __future__ import annotations

import sqlite_utils

from ..compose.model import Newsletter
from ..compose.quotes import ApprovedQuote, QuoteNotApproved, directives, same_passage
from ..errors import Text
from ..stores import quotes, reactions
from ..stores.quotes import BundleRow

WHY = {
    "none": Text("the reader was never asked"),
    "asked": Text("the reader has not answered yet"),
    "refused": Text("the reader said no"),
    "no_answer": Text("the reader did not answer before the links expired"),
}


def state_of(db: sqlite_utils.Database, reaction_id: int) -> str:
    """none | asked | named | anonymous | refused | no_answer (see stores.quotes.STATES)."""
    req = quotes.latest_requests(db, [reaction_id]).get(reaction_id)
    return req.state if req is not None else "none"


def approved_for(db: sqlite_utils.Database, nl: Newsletter, strict: bool = True) -> dict[int, ApprovedQuote]:
    """Reaction id -> approved passage and name for every quote directive of ``nl``.

    ``strict``: raise ``QuoteNotApproved`` naming the first reaction quoted without permission or
    with other words than approved; otherwise leave those out of the mapping."""
    wanted = directives(nl)
    if not wanted:
        return {}
    latest = quotes.latest_requests(db, sorted({d.reaction_id for d in wanted}))
    out: dict[int, ApprovedQuote] = {}
    for d in wanted:
        req = latest.get(d.reaction_id)
        if req is None or not req.approved:
            if not strict:
                continue
            if req is None and reactions.summary(db, d.reaction_id) is None:
                raise QuoteNotApproved("the issue quotes reaction %(id)s, which does not exist: check the number "
                                       "in {{ citaat %(id)s }}", id=d.reaction_id)
            why = WHY.get(req.state if req is not None else "none", WHY["none"])
            raise QuoteNotApproved("reaction %(id)s may not be quoted: %(why)s. Ask the reader's permission "
                                   "(on the reaction's page or with 'mailer reactions ask-quote %(id)s') or "
                                   "take {{ citaat %(id)s }} out", id=d.reaction_id, why=why)
        if d.passage and not same_passage(d.passage, req.passage):
            if not strict:
                continue
            raise QuoteNotApproved("the passage quoted from reaction %(id)s differs from the one the reader "
                                   "approved: write {{ citaat %(id)s }} without words, or ask permission "
                                   "for the new passage", id=d.reaction_id)
        out[d.reaction_id] = ApprovedQuote(d.reaction_id, req.passage, req.name if req.answer == "named" else "")
    return out


def offered_quotes(db: sqlite_utils.Database, themes: list[str]) -> list[BundleRow]:
    """The approved quotes of these themes, for the writer to insert (the desk's editor)."""
    return quotes.approved_quotes(db, themes) if themes else []
