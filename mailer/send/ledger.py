"""Compatibility for the inbox's bounce filing (mailer/inbox/pipeline.py) until it uses
``mailer.stores.deliveries`` and ``subscribers.store.apply_bounce`` itself; delete it then.
Nothing in mailer/send/ uses this module."""

from __future__ import annotations

import sqlite_utils

from subscribers import store as subscribers

from ..stores import deliveries


def mark_bounced(db: sqlite_utils.Database, delivery_id: int, detail: str, *, bounce_type: str = "hard",
                 soft_limit: int | None = None) -> str:
    """Record a bounce on a delivery and apply it to its subscriber; returns the note for the team, or ""."""
    delivery = deliveries.mark_bounced(db, delivery_id, detail)
    if delivery is None:
        return ""
    return subscribers.apply_bounce(db, delivery.subscriber_id, bounce_type=bounce_type, detail=detail,
                                    soft_limit=soft_limit)
