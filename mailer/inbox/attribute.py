"""Attribution: which newsletter and theme an inbound message answers, how we know, how sure we are.

Newsletter, strongest first: the signed reply token in a recipient address (verified; a forged or
damaged token is recorded and falls through; a valid token from another sender is filed but marked
``other_sender``), In-Reply-To, References, the subject, the sender's latest received issue.
Theme: the token's theme index, the section the reader quoted, word similarity, else none.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import sqlite_utils

from .. import tokens
from ..stores import newsletters
from ..errors import TokenError
from ..stores import inbox as store
from . import similarity
from .parse import ParsedMessage

# How much each newsletter method is trusted (recorded as reactions.confidence).
CONFIDENCE = {
    "token": 1.0,
    "in-reply-to": 0.95,
    "references": 0.9,
    "subject": 0.6,
    "quoted-section": 0.7,
    "latest-issue": 0.4,
    "none": 0.0,
}

_PREFIX = re.compile(
    r"^\s*(?:(?:re|antw|antwoord|aw|sv|vs|fw|fwd|doorst|wg|tr|rif|ref|réf)\s*(?:\[\d+\])?\s*:\s*|\[[^\]]{1,40}\]\s*)",
    re.IGNORECASE,
)


class Attribution(NamedTuple):
    newsletter_id: int | None = None
    newsletter_slug: str | None = None
    theme_slug: str | None = None
    subscriber_id: int | None = None
    delivery_id: int | None = None
    method: str = "none"
    theme_method: str = "none"
    confidence: float = 0.0
    theme_confidence: float = 0.0
    token_status: str = "absent"      # absent | valid | forged | other-sender
    other_sender: bool = False
    notes: tuple[str, ...] = ()


def strip_subject(subject: str) -> str:
    """'Re: AW: Fwd: [Nieuwsbrief] Samen verder' -> 'samen verder' (folded, spaces collapsed)."""
    s = subject or ""
    while True:
        stripped = _PREFIX.sub("", s, count=1)
        if stripped == s:
            break
        s = stripped
    return " ".join(similarity.fold(s).split())


def _norm_addr(address: str) -> str:
    return address.strip().strip("<>").lower()


class Attributor:
    """Attribution against one database; reads the newsletters' subjects and theme texts once."""

    def __init__(self, db: sqlite_utils.Database, key: bytes) -> None:
        self.db = db
        self.key = key
        self._refs: list[store.NewsletterRef] | None = None
        self._themes: dict[int, tuple[list[str], similarity.Themes]] = {}
        # (refs list, [(ref, stripped subject, stripped title)]): _by_subject compared every reply
        # with every issue's subject, stripping those again each time.
        self._stripped: tuple[list[store.NewsletterRef], list[tuple[store.NewsletterRef, str, str]]] | None = None

    # -- the newsletters, read once --------------------------------------------------------------
    def refs(self) -> list[store.NewsletterRef]:
        if self._refs is None:
            self._refs = store.newsletter_refs(self.db)
        return self._refs

    def stripped_subjects(self) -> list[tuple[store.NewsletterRef, str, str]]:
        """(ref, strip_subject(subject), strip_subject(title)) per issue, for the current refs."""
        refs = self.refs()
        if self._stripped is None or self._stripped[0] is not refs:
            self._stripped = (refs, [(r, strip_subject(r.subject), strip_subject(r.title)) for r in refs])
        return self._stripped[1]

    def slug(self, newsletter_id: int) -> str | None:
        for r in self.refs():
            if r.id == newsletter_id:
                return r.slug
        self._refs = None
        return store.newsletter_slug(self.db, newsletter_id)

    def themes(self, newsletter_id: int) -> tuple[list[str], similarity.Themes]:
        """(theme slugs in index order, each theme's sections' headings and texts)."""
        if newsletter_id not in self._themes:
            texts: dict[str, str] = {}
            for s in newsletters.sections(self.db, newsletter_id):
                if s.theme_slug:
                    texts[s.theme_slug] = (texts.get(s.theme_slug, "") + "\n" + s.heading + "\n" + s.body_text)
            self._themes[newsletter_id] = (newsletters.theme_slugs(self.db, newsletter_id), similarity.themes_of(texts))
        return self._themes[newsletter_id]

    def by_quote(self, newsletter_id: int, quoted: str | frozenset[tuple[str, ...]]) -> similarity.ThemeGuess:
        """``similarity.by_quote`` against one newsletter's themes."""
        return similarity.by_quote(quoted, self.themes(newsletter_id)[1])

    # -- newsletter -----------------------------------------------------------------------------
    def attribute(self, parsed: ParsedMessage) -> Attribution:
        notes: list[str] = []
        token_status = "absent"
        sender = _norm_addr(parsed.from_address or "")
        found: dict[str, Any] | None = None

        for address in parsed.recipients:
            try:
                tok = tokens.read_reply_address(self.key, address)
            except TokenError as exc:
                if exc.reason != "absent":
                    token_status = "forged"
                    notes.append(f"reply token in {address} is {exc.reason}")
                continue
            slug = self.slug(tok.newsletter_id)
            if slug is None:
                token_status = "forged"
                notes.append(f"reply token names newsletter {tok.newsletter_id}, which does not exist")
                continue
            sub = store.subscriber_ref(self.db, tok.subscriber_id)
            other = sub is None or (sub[1] or "") != sender
            token_status = "other-sender" if other else "valid"
            if other:
                notes.append("valid reply token, but sent from another address than the subscriber's")
            found = {"newsletter_id": tok.newsletter_id, "method": "token",
                     "subscriber_id": tok.subscriber_id if sub else None, "theme_index": tok.theme_index,
                     "other_sender": other}
            break

        if found is None:
            found = self._by_message_ids(parsed)
        if found is None:
            found = self._by_subject(parsed.subject)
        if found is None and len(parsed.quoted_text or "") >= 40:
            found = self._by_quote(similarity.shingles(parsed.quoted_text))
        if found is None and sender:
            d = store.latest_delivery_to(self.db, sender)
            if d is not None:
                found = {"newsletter_id": d.newsletter_id, "method": "latest-issue",
                         "subscriber_id": d.subscriber_id, "delivery_id": d.id}
        if found is None:
            return Attribution(token_status=token_status, notes=tuple(notes))

        nid = int(found["newsletter_id"])
        subscriber_id = found.get("subscriber_id")
        delivery_id = found.get("delivery_id")
        if subscriber_id is None and not found.get("other_sender") and sender:
            sub = store.subscriber_by_email(self.db, sender)
            subscriber_id = sub[0] if sub else None
        theme, theme_method, theme_conf = self._theme(nid, parsed, found.get("theme_index", 0), notes)
        method = str(found["method"])
        return Attribution(
            newsletter_id=nid, newsletter_slug=self.slug(nid), theme_slug=theme, subscriber_id=subscriber_id,
            delivery_id=delivery_id, method=method, theme_method=theme_method, confidence=CONFIDENCE[method],
            theme_confidence=theme_conf, token_status=token_status, other_sender=bool(found.get("other_sender")),
            notes=tuple(notes),
        )

    def _by_message_ids(self, parsed: ParsedMessage) -> dict[str, Any] | None:
        for method, ids in (("in-reply-to", parsed.in_reply_to), ("references", tuple(reversed(parsed.references)))):
            for mid in ids:
                d = store.delivery_by_message_id(self.db, mid)
                if d is not None:
                    return {"newsletter_id": d.newsletter_id, "method": method,
                            "subscriber_id": d.subscriber_id, "delivery_id": d.id}
        return None

    def _by_subject(self, subject: str) -> dict[str, Any] | None:
        wanted = strip_subject(subject)
        if len(wanted) < 4:
            return None
        stripped = self.stripped_subjects()
        for ref, subject, title in stripped:  # exact match on subject or title, newest issue first
            if wanted in (subject, title):
                return {"newsletter_id": ref.id, "method": "subject"}
        for ref, subject, title in stripped:  # the subject inside a longer one ("Reactie op: Samen verder (nov)")
            for candidate in (subject, title):
                if len(candidate) >= 8 and candidate in wanted:
                    return {"newsletter_id": ref.id, "method": "subject"}
        return None

    def _by_quote(self, quoted: frozenset[tuple[str, ...]]) -> dict[str, Any] | None:
        """The issue (and theme) whose text the reader quoted (its shingles), when one stands out."""
        best: tuple[float, int, str] | None = None
        for ref in self.refs():
            guess = self.by_quote(ref.id, quoted)
            if guess.theme is not None and (best is None or guess.score > best[0]):
                best = (guess.score, ref.id, guess.theme)
        if best is None:
            return None
        return {"newsletter_id": best[1], "method": "quoted-section"}

    # -- theme ----------------------------------------------------------------------------------
    def _theme(self, newsletter_id: int, parsed: ParsedMessage, theme_index: int,
               notes: list[str]) -> tuple[str | None, str, float]:
        slugs, texts = self.themes(newsletter_id)
        if theme_index:
            if 1 <= theme_index <= len(slugs):
                return slugs[theme_index - 1], "token", 1.0
            notes.append(f"reply token names theme {theme_index}, but the newsletter has {len(slugs)} themes")
        guess = self.by_quote(newsletter_id, parsed.quoted_text or "")
        if guess.theme is None:
            guess = similarity.by_similarity(parsed.reply_text or "", texts)
        return guess.theme, guess.method, guess.confidence


def attribute(db: sqlite_utils.Database, key: bytes, parsed: ParsedMessage) -> Attribution:
    """Attribute one parsed message (see the module docstring for the order)."""
    return Attributor(db, key).attribute(parsed)
