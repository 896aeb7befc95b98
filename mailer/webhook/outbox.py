"""New reactions into the webhook's outbox, picked up from the store by the scheduler.

Only reactions proper (not auto-replies, bounces or "other"), through the one reactions query
builder; the first look after the webhook is set up only notes where it starts.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..runtime import Runtime
from ..stores import webhooks as store
from ..stores.reactions_query import ReactionFilter

EVERY_REACTION = ReactionFilter(status="all")


def collect(rt: Runtime, now: datetime | None = None) -> int:
    """Queue the reactions filed since the last look; returns how many."""
    now = now or datetime.now(timezone.utc)
    return store.enqueue_new(rt.db, EVERY_REACTION, now.isoformat(timespec="seconds"))
