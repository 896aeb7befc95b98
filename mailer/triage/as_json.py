"""Reactions, themes and newsletters as JSON objects: what the read-only API returns and what
the webhook posts (the same shape in both)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..stores.reactions_query import ReactionSummary
from .overview import NewsletterSummary


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def reaction(s: ReactionSummary, base_url: str) -> dict[str, Any]:
    """One reaction as a list line shows it; ``url``: its page in the team UI."""
    return {
        "id": s.id,
        "url": f"{base_url.rstrip('/')}/team/reactions/{s.id}",
        "received_at": s.received_at,
        "written_at": s.written_at,
        "kind": s.kind,
        "status": s.status,
        "from": {"name": s.from_name, "address": s.from_address},
        "subject": s.subject,
        "snippet": s.snippet,
        "newsletter": {"slug": s.newsletter_slug, "title": s.newsletter_title} if s.newsletter_slug else None,
        "theme": {"slug": s.theme_slug, "name": s.theme_name or s.theme_slug} if s.theme_slug else None,
        "assignee": s.assignee or None,
        "tags": list(s.tags),
        "attachments": s.attachments,
        "attribution": s.attribution,
        "confidence": s.confidence,
        "theme_confidence": s.theme_confidence,
        "uncertain": s.uncertain,
    }


def newsletter(n: NewsletterSummary) -> dict[str, Any]:
    return {"slug": n.slug, "title": n.title, "status": n.status, "send_at": _iso(n.send_at),
            "finished_at": _iso(n.finished_at), "reactions": n.reactions, "new": n.new}
