"""Attribution: which newsletter and theme an inbound message answers, how we know, how sure we are.

Newsletter, strongest first: the signed reply token in a recipient address (verified; a forged or
damaged token is recorded and falls through; a valid token from another sender is filed but marked
``other_sender``), In-Reply-To, References, the subject, the sender's latest received issue.
Theme: the token's theme index, the section the reader quoted, word similarity, else none.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import sqlite_utils

from .. import tokens
from ..stores import newsletters
from ..errors import TokenError
from . import similarity, store

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


class ParsedLike(Protocol):
    """The fields of ``mailer.inbox.parse.ParsedMessage`` that attribution reads."""

    @property
    def in_reply_to(self) -> tuple[str, ...]: ...
    @property
    def references(self) -> tuple[str, ...]: ...
    @property
    def from_address(self) -> str: ...
    @property
    def recipients(self) -> tuple[str, ...]: ...
    @property
    def subject(self) -> str: ...
    @property
    def reply_text(self) -> str: ...
    @property
    def quoted_text(self) -> str: ...


class Attribution(NamedTuple):  # one per message: a named tuple is built in C (speed: 2 -> 0.4 us)
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


# strip_subject remembered per subject: the replies to one issue share its "Re: ..." subject, and
# stripping is a regex loop and an NFKD fold (~1.3 us a subject). Keyed on the whole subject, up
# to 300 characters, so the cache stays small and the answer is strip_subject's.
_strip_subject_cached = lru_cache(maxsize=4096)(strip_subject)


def _norm_addr(address: str) -> str:
    return address.strip().strip("<>").lower()


class Attributor:
    """Attribution against one database; caches the newsletters' subjects and theme texts."""

    def __init__(self, db: sqlite_utils.Database, key: bytes) -> None:
        self.db = db
        self.key = key
        self._refs: list[store.NewsletterRef] | None = None
        self._themes: dict[int, tuple[list[str], dict[str, str]]] = {}
        # (newsletter id, quoted text) -> guess: readers quoting an issue mostly quote the same
        # passages, and shingling a quote is the costliest step of attribution. Bounded per poll.
        self._quotes: dict[tuple[int, str], similarity.ThemeGuess] = {}
        # (refs list, [(ref, stripped subject, stripped title)]): _by_subject compared every reply
        # with every issue's subject, stripping those again each time.
        self._stripped: tuple[list[store.NewsletterRef], list[tuple[store.NewsletterRef, str, str]]] | None = None

    # -- caches ---------------------------------------------------------------------------------
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

    def themes(self, newsletter_id: int) -> tuple[list[str], dict[str, str]]:
        """(theme slugs in index order, theme slug -> all its sections' heading and text)."""
        if newsletter_id not in self._themes:
            texts: dict[str, str] = {}
            for s in newsletters.sections(self.db, newsletter_id):
                if s.theme_slug:
                    texts[s.theme_slug] = (texts.get(s.theme_slug, "") + "\n" + s.heading + "\n" + s.body_text)
            self._themes[newsletter_id] = (newsletters.theme_slugs(self.db, newsletter_id), texts)
        return self._themes[newsletter_id]

    def by_quote(self, newsletter_id: int, quoted_text: str) -> similarity.ThemeGuess:
        """``similarity.by_quote`` against one newsletter's themes, memoised."""
        key = (newsletter_id, quoted_text)
        guess = self._quotes.get(key)
        if guess is None:
            if len(self._quotes) >= 4096:
                self._quotes.clear()
            guess = self._quotes[key] = similarity.by_quote(quoted_text, self.themes(newsletter_id)[1])
        return guess

    # -- newsletter -----------------------------------------------------------------------------
    def attribute(self, parsed: ParsedLike) -> Attribution:
        notes: list[str] = []
        token_status = "absent"
        sender = _norm_addr(parsed.from_address or "")
        found: dict[str, Any] | None = None

        for address in parsed.recipients:
            tag = tokens.tag_of(address)
            if tag is None or not tag.startswith(tokens.REPLY + "-"):
                continue  # read_reply_address's "absent", without raising it (speed: most recipients)
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
        if found is None:
            found = self._by_quote(parsed.quoted_text or "")
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

    def _by_message_ids(self, parsed: ParsedLike) -> dict[str, Any] | None:
        for method, ids in (("in-reply-to", parsed.in_reply_to), ("references", tuple(reversed(parsed.references)))):
            for mid in ids:
                d = store.delivery_by_message_id(self.db, mid)
                if d is not None:
                    return {"newsletter_id": d.newsletter_id, "method": method,
                            "subscriber_id": d.subscriber_id, "delivery_id": d.id}
        return None

    def _by_subject(self, subject: str) -> dict[str, Any] | None:
        short = type(subject) is str and len(subject) <= 300
        wanted = _strip_subject_cached(subject) if short else strip_subject(subject)
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

    def _by_quote(self, quoted_text: str) -> dict[str, Any] | None:
        """The issue (and theme) whose text the reader quoted, when one stands out."""
        if len(quoted_text) < 40:
            return None
        best: tuple[float, int, str] | None = None
        for ref in self.refs():
            guess = self.by_quote(ref.id, quoted_text)
            if guess.theme is not None and (best is None or guess.score > best[0]):
                best = (guess.score, ref.id, guess.theme)
        if best is None:
            return None
        return {"newsletter_id": best[1], "method": "quoted-section"}

    # -- theme ----------------------------------------------------------------------------------
    def _theme(self, newsletter_id: int, parsed: ParsedLike, theme_index: int,
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


def attribute(db: sqlite_utils.Database, key: bytes, parsed: ParsedLike) -> Attribution:
    """Attribute one parsed message (see the module docstring for the order)."""
    return Attributor(db, key).attribute(parsed)
