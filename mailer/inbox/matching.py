"""The issues that went out, and what in a reply can point to one: its subject, the text it
quotes, a month it names, its words. Attribution (``attribute.py``) decides which clue counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import NamedTuple

import sqlite_utils

from ..stores import newsletters
from . import similarity

_PREFIX = re.compile(
    r"^\s*(?:(?:re|antw|antwoord|aw|sv|vs|fw|fwd|doorst|doorgestuurd|wg|tr|rif|ref|réf)\s*(?:\[\d+\])?\s*:\s*"
    r"|\[[^\]]{1,40}\]\s*)",
    re.IGNORECASE,
)
# " — Theme" after an issue's subject (the product writes an em dash; clients and readers turn it
# into an en dash, a hyphen or a colon).
_SUFFIX = re.compile(r"\s+[\u2014\u2013-]+\s+|\s*:\s+")

# Shared 4-word shingles before a quote names an issue, and its lead over the next issue.
QUOTE_ISSUE_MIN = 8
QUOTE_ISSUE_LEAD = 2.0

# Month names a reader may date an issue by ("uw nieuwsbrief van november", "your March issue").
_MONTHS = {name: i % 12 + 1 for i, name in enumerate(
    "januari februari maart april mei juni juli augustus september oktober november december "
    "january february march april may june july august september october november december".split())}
_MONTH_WORD = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b")


def strip_subject(subject: str) -> str:
    """'Re: AW: Fwd: [Nieuwsbrief] Samen verder' -> 'samen verder' (folded, spaces collapsed)."""
    s = subject or ""
    while True:
        stripped = _PREFIX.sub("", s, count=1)
        if stripped == s:
            break
        s = stripped
    return " ".join(similarity.fold(s).split())


def utc(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class SentIssue:
    """An issue that went out to subscribers, as a reply is compared with it."""

    ref: newsletters.NewsletterRef
    sent_at: datetime
    subject: str                      # stripped
    title: str                        # stripped
    theme_slugs: tuple[str, ...]      # in index order
    theme_by_name: dict[str, str]     # stripped theme name -> slug
    themes: similarity.Themes
    shingles: frozenset[tuple[str, ...]]


def sent_issues(db: sqlite_utils.Database, refs: list[newsletters.NewsletterRef],
                names: dict[str, str]) -> tuple[list[SentIssue], similarity.Corpus[tuple[int, str]]]:
    """The issues of ``refs`` that went out, newest first, and one corpus of all their themes'
    texts keyed by (newsletter id, theme slug)."""
    sent = [r for r in refs if r.sent_at is not None]
    texts_by_issue: dict[int, dict[str, str]] = {}
    whole: dict[int, str] = {}
    for ref in sent:
        texts: dict[str, str] = {}
        for s in newsletters.sections(db, ref.id):
            whole[ref.id] = whole.get(ref.id, "") + "\n" + s.heading + "\n" + s.body_text
            if s.theme_slug:
                texts[s.theme_slug] = texts.get(s.theme_slug, "") + "\n" + s.heading + "\n" + s.body_text
        texts_by_issue[ref.id] = texts
    corpus = similarity.library(texts_by_issue)
    issues = []
    for ref in sent:
        slugs = tuple(newsletters.theme_slugs(db, ref.id))
        issues.append(SentIssue(
            ref=ref, sent_at=utc(ref.sent_at or ""), subject=strip_subject(ref.subject),
            title=strip_subject(ref.title), theme_slugs=slugs,
            theme_by_name={strip_subject(names.get(s, s)): s for s in slugs},
            themes=similarity.themes_of(texts_by_issue[ref.id], corpus.vocabulary),
            shingles=similarity.shingles(whole.get(ref.id, "")),
        ))
    return sorted(issues, key=lambda i: i.sent_at, reverse=True), corpus


class SubjectMatch(NamedTuple):
    issue: SentIssue
    method: str              # subject | subject-title
    length: int              # of what matched
    inside: bool             # the issue's text only inside a longer subject
    theme: str | None        # the theme the product's suffix names


def by_subject(subject: str, candidates: list[SentIssue]) -> SubjectMatch | None:
    """The issue whose subject or title the reply's subject holds; the longest match wins, then
    the newest issue. The product's " — <theme>" suffix is read as the theme."""
    wanted = strip_subject(subject)
    if len(wanted) < 4:
        return None
    best: SubjectMatch | None = None
    for issue in candidates:
        for text, theme in _subject_readings(wanted, issue):
            for own, method in ((issue.subject, "subject"), (issue.title, "subject-title")):
                if len(own) < 4:
                    continue
                if text == own:
                    inside = False
                elif len(own) >= 8 and _contains(text, own):
                    inside = True
                else:
                    continue
                m = SubjectMatch(issue, method, len(own), inside, theme)
                if best is None or (m.length, not m.inside) > (best.length, not best.inside):
                    best = m
    return best


def _subject_readings(wanted: str, issue: SentIssue) -> list[tuple[str, str | None]]:
    """The subject as is, and without a trailing " — <one of the issue's theme names>"."""
    readings: list[tuple[str, str | None]] = [(wanted, None)]
    for m in _SUFFIX.finditer(wanted):
        theme = issue.theme_by_name.get(wanted[m.end():].strip())
        if theme is not None:
            readings.insert(0, (wanted[:m.start()].strip(), theme))
    return readings


def _contains(text: str, part: str) -> bool:
    """``part`` in ``text`` on word boundaries."""
    return re.search(r"(?<!\w)" + re.escape(part) + r"(?!\w)", text) is not None


def named_theme(subject: str, names: dict[str, str]) -> str | None:
    """The theme a subject is just the name of ("Re: Kracht van het collectief")."""
    wanted = strip_subject(subject)
    return next((slug for slug, name in names.items() if wanted and wanted == strip_subject(name)), None)


def by_quote(quoted_text: str, candidates: list[SentIssue],
             quoted: frozenset[tuple[str, ...]] | None = None) -> SentIssue | None:
    """The issue whose text the reader quoted, when one stands out (``quoted``: the text's
    shingles, when the caller has them already)."""
    if len(quoted_text) < 40 or not candidates:
        return None
    if quoted is None:
        quoted = similarity.shingles(quoted_text)
    ranked = sorted(((len(quoted & i.shingles), i) for i in candidates), key=lambda x: x[0], reverse=True)
    best, issue = ranked[0]
    second = ranked[1][0] if len(ranked) > 1 else 0
    if best < QUOTE_ISSUE_MIN or best < QUOTE_ISSUE_LEAD * second:
        return None
    return issue


def named_month(text: str, candidates: list[SentIssue]) -> SentIssue | None:
    """The one candidate issue sent in a month the reader names, if exactly one is."""
    months = {_MONTHS[m] for m in _MONTH_WORD.findall(similarity.fold(text))}
    named = [i for i in candidates if i.sent_at.month in months]
    return named[0] if len(named) == 1 else None


def by_words(corpus: similarity.Corpus[tuple[int, str]], reply_text: str,
             candidates: list[SentIssue]) -> list[tuple[float, SentIssue, str]]:
    """(best section cosine, issue, its theme) per candidate issue, best first."""
    reply = similarity.terms(reply_text, corpus.vocabulary)
    scores = corpus.scores(reply, [(i.ref.id, s) for i in candidates for s in i.themes.terms])
    ranked = []
    for i in candidates:
        mine = {s: scores[(i.ref.id, s)] for s in i.themes.terms}
        if mine:
            theme = max(mine, key=lambda s: mine[s])
            ranked.append((mine[theme], i, theme))
    return sorted(ranked, key=lambda x: x[0], reverse=True)
