"""The team's newsletter pages: every issue with its reaction counts, and one issue's figures
(deliveries, unsubscribes after it, reactions per theme, kind and status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from ..errors import NotFound
from ..stores import deliveries, newsletters, reactions
from ..stores.newsletters import NewsletterRow


@dataclass(frozen=True)
class ThemeCount:
    slug: str | None
    name: str
    count: int


@dataclass(frozen=True)
class NewsletterSummary:
    id: int
    slug: str
    title: str
    status: str
    send_at: datetime | None
    finished_at: datetime | None
    reactions: int
    new: int


@dataclass(frozen=True)
class Overview:
    newsletter: NewsletterSummary
    deliveries: dict[str, int]      # status -> count (pending, sending, sent, failed, bounced, suppressed)
    unsubscribed_after: int
    per_theme: list[ThemeCount]
    per_kind: dict[str, int]
    per_status: dict[str, int]


def _summary(row: NewsletterRow, counts: tuple[int, int]) -> NewsletterSummary:
    return NewsletterSummary(row.id, row.slug, row.title, row.status, row.send_at, row.finished_at, *counts)


def newsletters_with_counts(db: sqlite_utils.Database) -> list[NewsletterSummary]:
    """Every newsletter with its state, schedule and reaction counts, newest first."""
    counts = reactions.counts_per_newsletter(db)
    return [_summary(row, counts.get(row.id, (0, 0))) for row in newsletters.list_all(db)]


def newsletter_choices(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(slug, title) of every newsletter, newest first: the choices of the re-file form."""
    return [(row.slug, row.title) for row in newsletters.list_all(db)]


def themes_by_newsletter(db: sqlite_utils.Database) -> dict[str, list[tuple[str, str]]]:
    """newsletter slug -> its themes [(slug, name)] in reading order (for the re-file form)."""
    return newsletters.themes_by_newsletter(db)


def overview(db: sqlite_utils.Database, slug: str) -> Overview:
    """Delivery figures and reactions per theme for one newsletter."""
    row = newsletters.find(db, slug)
    if row is None:
        raise NotFound(f"no newsletter '{slug}': see the newsletters page for the list")
    counts = reactions.counts_of_newsletter(db, row.id)
    per_theme_counts = dict(counts.per_theme)
    per_theme = [ThemeCount(tslug, name, per_theme_counts.pop(tslug, 0))
                 for tslug, name in newsletters.themes_of(db, row.id)]
    # Re-filed to a theme no longer in the issue, or to the whole issue.
    per_theme += [ThemeCount(tslug, tslug or "", c) for tslug, c in per_theme_counts.items()]
    summary = _summary(row, (sum(counts.per_status.values()), counts.per_status.get("nieuw", 0)))
    return Overview(summary, deliveries.count_by_status(db, row.id), deliveries.unsubscribed_since_start(db, row.id),
                    per_theme, counts.per_kind, counts.per_status)
