"""Attribution: which newsletter and theme an inbound message answers, how we know, how sure we are.

Newsletter, strongest first: the signed reply token in a recipient address (verified; a forged or
damaged token is recorded and falls through; a valid token from another sender is filed but marked
``other_sender``), In-Reply-To, References (naming an issue we sent, or the team's answer to a
reaction: then newsletter, theme and subscriber are that reaction's, method "answer"), the subject (the longest issue subject or title in it),
the issue the reader quoted, then the reader's words: the latest issue sent to this reader before
the reply's Date unless the words clearly name another issue sent to them, or, for someone we
never sent anything, the sent issue whose sections the words match, when one stands out.
Only issues that went out to subscribers take part; a reply's Date counts when it is plausible.
Theme: the token's theme index, the product's own " — <theme>" subject suffix, the section the
reader quoted, word similarity (with the theme a bare subject names as a tie-break), else none.
When follow-up issues share a theme and the words cannot tell the issues apart, the newsletter is
left open and only the theme is filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

import sqlite_utils

from .. import tokens
from ..stores import newsletters
from ..errors import TokenError
from ..stores import inbox as store
from ..stores import reactions_answers as answers
from . import matching, similarity
from .matching import SentIssue, strip_subject, utc
from .parse import ParsedMessage

__all__ = ["Attribution", "AttributionSettings", "Attributor", "attribute", "strip_subject"]

# How much each newsletter method is trusted (recorded as reactions.confidence); the content
# route ("similar-text") computes its own from the scores.
CONFIDENCE = {
    "token": 1.0,
    "in-reply-to": 0.95,
    "references": 0.9,
    "subject": 0.85,          # the issue's own subject
    "subject-title": 0.7,     # only its title (a weaker sign: titles are short)
    "quoted-section": 0.8,
    "latest-issue": 0.5,      # latest sent before the reply's Date
    "latest-issue-undated": 0.35,  # no plausible Date: latest sent before the reply arrived
    "none": 0.0,
}
THEME_SUFFIX_CONFIDENCE = 0.9   # "Re: <subject> — <theme>", as the product writes it
THEME_NAMED_CONFIDENCE = 0.6    # a subject that is just a theme's name, with nothing against it

# A reply's Date may run this far behind the issue it answers (a slow clock, a send in batches)...
CLOCK_SLACK = timedelta(minutes=30)
# ...and a Date further than this after the reply arrived, or before any issue went out, is a
# wrong clock: then the time the reply arrived counts.
FUTURE_LIMIT = timedelta(days=1)


@dataclass(frozen=True)
class AttributionSettings:
    """The thresholds bench/theme_threshold.py sweeps; the defaults are the chosen ones."""

    threshold: float = similarity.SIMILARITY_THRESHOLD  # a theme's cosine before similarity names it
    lead: float = similarity.SIMILARITY_LEAD            # ... and its lead over the next theme
    issue_threshold: float = 0.12  # the best section's cosine before the words name an issue
    issue_lead: float = 1.3        # ... and its lead over the best section of any other issue
    override_lead: float = 1.5     # words name another issue than the latest: lead over the latest


class Attribution(NamedTuple):
    newsletter_id: int | None = None
    newsletter_slug: str | None = None
    theme_slug: str | None = None
    subscriber_id: int | None = None
    delivery_id: int | None = None
    method: str = "none"
    theme_method: str = "none"
    confidence: float = 0.0           # the newsletter's
    theme_confidence: float = 0.0
    token_status: str = "absent"      # absent | valid | forged | other-sender
    other_sender: bool = False
    notes: tuple[str, ...] = ()


def _norm_addr(address: str) -> str:
    return address.strip().strip("<>").lower()


class Attributor:
    """Attribution against one database; reads the sent issues, their themes and texts once."""

    def __init__(self, db: sqlite_utils.Database, key: bytes, *,
                 settings: AttributionSettings | None = None) -> None:
        self.db = db
        self.key = key
        self.settings = settings or AttributionSettings()
        self._refs: list[store.NewsletterRef] | None = None
        self._issues: list[SentIssue] | None = None
        self._corpus: similarity.Corpus[tuple[int, str]] | None = None
        self._theme_names: dict[str, str] | None = None

    # -- the newsletters, read once --------------------------------------------------------------
    def refs(self) -> list[store.NewsletterRef]:
        if self._refs is None:
            self._refs = store.newsletter_refs(self.db)
        return self._refs

    def slug(self, newsletter_id: int) -> str | None:
        for r in self.refs():
            if r.id == newsletter_id:
                return r.slug
        self._refs = None
        return store.newsletter_slug(self.db, newsletter_id)

    def issues(self) -> list[SentIssue]:
        """The issues that went out to subscribers, newest first."""
        if self._issues is None:
            self._issues, self._corpus = matching.sent_issues(self.db, self.refs(), self.theme_names())
        return self._issues

    def corpus(self) -> similarity.Corpus[tuple[int, str]]:
        self.issues()
        assert self._corpus is not None
        return self._corpus

    def theme_names(self) -> dict[str, str]:
        if self._theme_names is None:
            self._theme_names = dict(newsletters.theme_choices(self.db))
        return self._theme_names

    def issue(self, newsletter_id: int) -> SentIssue | None:
        return next((i for i in self.issues() if i.ref.id == newsletter_id), None)

    def themes(self, newsletter_id: int) -> tuple[list[str], similarity.Themes]:
        """(theme slugs in index order, the theme texts) of any newsletter, sent or not."""
        found = self.issue(newsletter_id)
        if found is not None:
            return list(found.theme_slugs), found.themes
        texts: dict[str, str] = {}
        for s in newsletters.sections(self.db, newsletter_id):
            if s.theme_slug:
                texts[s.theme_slug] = texts.get(s.theme_slug, "") + "\n" + s.heading + "\n" + s.body_text
        return newsletters.theme_slugs(self.db, newsletter_id), similarity.themes_of(texts)

    # -- newsletter -----------------------------------------------------------------------------
    def attribute(self, parsed: ParsedMessage, *, received_at: datetime | None = None) -> Attribution:
        """Attribute one parsed message; ``received_at`` (default: now) bounds a plausible Date."""
        notes: list[str] = []
        token_status = "absent"
        sender = _norm_addr(parsed.from_address or "")
        found: dict[str, Any] | None = None
        received = utc(received_at or datetime.now(timezone.utc))

        for address in parsed.recipients:
            tag = tokens.tag_of(address)
            if tag is None or not tag.startswith(tokens.REPLY + "-"):
                continue
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
        if found is not None and "answered" in found:
            return self._as_answered(found["answered"], token_status, notes)
        theme_hint: str | None = None
        if found is None:
            written = self._written_at(parsed.date, received)
            if parsed.date is not None and written is None:
                notes.append(f"the reply's Date ({parsed.date.isoformat()}) is implausible: "
                             "attributed by the time it arrived")
            moment = written or received
            candidates = [i for i in self.issues() if i.sent_at <= moment + CLOCK_SLACK]
            match = matching.by_subject(parsed.subject, candidates)
            theme_hint = matching.named_theme(parsed.subject, self.theme_names())
            quoted_issue = matching.by_quote(parsed.quoted_text or "", candidates)
            quoted: dict[str, Any] | None = None if quoted_issue is None else {
                "newsletter_id": quoted_issue.ref.id, "method": "quoted-section"}
            if match is not None and not (match.inside and quoted_issue not in (None, match.issue)):
                found = {"newsletter_id": match.issue.ref.id, "method": "subject",
                         "confidence": CONFIDENCE[match.method] - (0.15 if match.inside else 0.0)}
                if match.theme is not None:
                    found["subject_theme"] = match.theme
            elif quoted is not None:
                found = quoted
            else:
                found = self._by_reader(parsed, sender, moment, dated=written is not None)
                if found is None:
                    found = self._by_content(parsed, candidates)
        if found is None:
            return Attribution(token_status=token_status, notes=tuple(notes))

        subscriber_id = found.get("subscriber_id")
        if subscriber_id is None and not found.get("other_sender") and sender:
            sub = store.subscriber_by_email(self.db, sender)
            subscriber_id = sub[0] if sub else None
        if found.get("newsletter_id") is None:  # open: only the theme the candidate issues share
            return Attribution(theme_slug=found["theme"], subscriber_id=subscriber_id, theme_method="similar-text",
                               theme_confidence=found["theme_confidence"], token_status=token_status,
                               notes=tuple(notes))
        nid = int(found["newsletter_id"])
        method = str(found["method"])
        theme, theme_method, theme_conf = self._theme(nid, parsed, found, theme_hint, notes)
        return Attribution(
            newsletter_id=nid, newsletter_slug=self.slug(nid), theme_slug=theme, subscriber_id=subscriber_id,
            delivery_id=found.get("delivery_id"), method=method, theme_method=theme_method,
            confidence=round(float(found.get("confidence", CONFIDENCE.get(method, 0.0))), 3),
            theme_confidence=theme_conf, token_status=token_status,
            other_sender=bool(found.get("other_sender")), notes=tuple(notes),
        )

    def _as_answered(self, filed: answers.AnsweredFiling, token_status: str, notes: list[str]) -> Attribution:
        """A reader's reply to one of the team's answers: filed as the reaction answered, in the
        same conversation, as sure as that reaction's filing."""
        nid = filed.newsletter_id
        return Attribution(
            newsletter_id=nid, newsletter_slug=self.slug(nid) if nid is not None else None,
            theme_slug=filed.theme_slug, subscriber_id=filed.subscriber_id, delivery_id=filed.delivery_id,
            method="answer", theme_method="answer" if filed.theme_slug else "none",
            confidence=filed.confidence if nid is not None else 0.0,
            theme_confidence=filed.theme_confidence if filed.theme_slug else 0.0, token_status=token_status,
            notes=(*notes, f"reply to the team's answer to reaction {filed.reaction_id}"))

    def _written_at(self, date: datetime | None, received: datetime) -> datetime | None:
        """The reply's Date when it is plausible: not after it arrived, not before any issue went out."""
        if date is None:
            return None
        written = utc(date)
        issues = self.issues()
        if written > received + FUTURE_LIMIT or (issues and written < issues[-1].sent_at - FUTURE_LIMIT):
            return None
        return written

    def _by_message_ids(self, parsed: ParsedMessage) -> dict[str, Any] | None:
        """The issue (or the team's answer) the nearest id in In-Reply-To, then References, names."""
        for method, ids in (("in-reply-to", parsed.in_reply_to), ("references", tuple(reversed(parsed.references)))):
            for mid in ids:
                answered = answers.filing_of_answer(self.db, mid)
                if answered is not None:
                    return {"answered": answered}
                d = store.delivery_by_message_id(self.db, mid)
                if d is not None:
                    return {"newsletter_id": d.newsletter_id, "method": method,
                            "subscriber_id": d.subscriber_id, "delivery_id": d.id}
        return None

    def _by_reader(self, parsed: ParsedMessage, sender: str, moment: datetime, *, dated: bool) -> dict[str, Any] | None:
        """The latest issue sent to this reader before the reply was written, unless the reader's
        words clearly name another issue they were sent."""
        if not sender:
            return None
        deliveries = [d for d in store.deliveries_to(self.db, sender)
                      if d.sent_at is not None and utc(d.sent_at) <= moment + CLOCK_SLACK]
        if not deliveries:
            return None
        latest = deliveries[0]
        method = "latest-issue" if dated else "latest-issue-undated"
        found: dict[str, Any] = {"newsletter_id": latest.newsletter_id, "method": "latest-issue",
                                 "confidence": CONFIDENCE[method], "subscriber_id": latest.subscriber_id,
                                 "delivery_id": latest.id}
        received = {d.newsletter_id: d for d in deliveries}
        candidates = [i for i in self.issues() if i.ref.id in received]
        ranked = matching.by_words(self.corpus(), parsed.reply_text or "", candidates)
        if not ranked:
            return found
        best, issue, _ = ranked[0]
        latest_score = next((s for s, i, _ in ranked if i.ref.id == latest.newsletter_id), 0.0)
        st = self.settings
        month = matching.named_month(f"{parsed.subject}\n{parsed.reply_text}", candidates)
        if month is not None and month.ref.id != latest.newsletter_id:
            d = received[month.ref.id]
            return {"newsletter_id": month.ref.id, "method": "similar-text", "confidence": 0.6,
                    "subscriber_id": d.subscriber_id, "delivery_id": d.id}
        if issue.ref.id != latest.newsletter_id and best >= st.issue_threshold and best >= st.override_lead * latest_score:
            d = received[issue.ref.id]
            return {"newsletter_id": issue.ref.id, "method": "similar-text",
                    "confidence": self._content_confidence(ranked), "subscriber_id": d.subscriber_id,
                    "delivery_id": d.id}
        return found

    def _by_content(self, parsed: ParsedMessage, candidates: list[SentIssue]) -> dict[str, Any] | None:
        """The sent issue whose sections the reply's words match, when one stands out; when the
        best issues share the matching theme but cannot be told apart, only that theme."""
        ranked = matching.by_words(self.corpus(), parsed.reply_text or "", candidates)
        st = self.settings
        month = matching.named_month(f"{parsed.subject}\n{parsed.reply_text}", candidates)
        if month is not None:
            score = next((s for s, i, _ in ranked if i is month), 0.0)
            if score >= st.issue_threshold / 2:
                return {"newsletter_id": month.ref.id, "method": "similar-text", "confidence": 0.6}
        if not ranked or ranked[0][0] < st.issue_threshold:
            return None
        best, issue, theme = ranked[0]
        rivals = [(s, i, t) for s, i, t in ranked[1:] if s * st.issue_lead > best]
        if not rivals:
            return {"newsletter_id": issue.ref.id, "method": "similar-text", "confidence": self._content_confidence(ranked)}
        if all(t == theme for _, _, t in rivals):
            guess = similarity.pick(self._theme_scores(parsed.reply_text or "", issue), threshold=st.threshold,
                                    lead=st.lead)
            if guess.theme == theme:
                return {"newsletter_id": None, "theme": theme, "theme_confidence": guess.confidence}
        return None

    @staticmethod
    def _content_confidence(ranked: list[tuple[float, SentIssue, str]]) -> float:
        best = ranked[0][0]
        second = ranked[1][0] if len(ranked) > 1 else 0.0
        margin = 1 - second / best if best > 0 else 0.0
        return round(min(0.75, 0.2 + best + 0.5 * margin), 3)

    # -- theme ----------------------------------------------------------------------------------
    def _theme_scores(self, reply_text: str, issue: SentIssue) -> dict[str, float]:
        return similarity.theme_scores(self.corpus(), issue.ref.id, reply_text)

    def _theme(self, newsletter_id: int, parsed: ParsedMessage, found: dict[str, Any], hint: str | None,
               notes: list[str]) -> tuple[str | None, str, float]:
        slugs, themes = self.themes(newsletter_id)
        theme_index = int(found.get("theme_index", 0))
        if theme_index:
            if 1 <= theme_index <= len(slugs):
                return slugs[theme_index - 1], "token", 1.0
            notes.append(f"reply token names theme {theme_index}, but the newsletter has {len(slugs)} themes")
        if found.get("subject_theme") in slugs:
            return str(found["subject_theme"]), "subject", THEME_SUFFIX_CONFIDENCE
        guess = similarity.by_quote(parsed.quoted_text or "", themes)
        if guess.theme is not None:
            return guess.theme, guess.method, guess.confidence
        issue = self.issue(newsletter_id)
        st = self.settings
        if issue is not None:
            guess = similarity.pick(self._theme_scores(parsed.reply_text or "", issue), threshold=st.threshold,
                                    lead=st.lead)
        else:
            guess = similarity.by_similarity(parsed.reply_text or "", themes, threshold=st.threshold, lead=st.lead)
        if hint in slugs and guess.theme in (None, hint):
            return hint, "subject", max(THEME_NAMED_CONFIDENCE, guess.confidence)
        return guess.theme, guess.method, guess.confidence


def attribute(db: sqlite_utils.Database, key: bytes, parsed: ParsedMessage, *,
              received_at: datetime | None = None) -> Attribution:
    """Attribute one parsed message (see the module docstring for the order)."""
    return Attributor(db, key).attribute(parsed, received_at=received_at)
