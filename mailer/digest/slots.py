"""When a digest is due: the latest scheduled moment ([digest] frequency, time, weekday) at or
before now, in the [schedule] timezone, so daylight saving time keeps the wall-clock time."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from ..config import WEEKDAYS, Config


def latest_slot(cfg: Config, now: datetime) -> datetime:
    """The most recent moment (UTC) a digest was scheduled for, at or before ``now``."""
    tz = cfg.schedule.tz
    hh, _, mm = cfg.digest.time.partition(":")
    at = time(int(hh), int(mm))
    local_now = now.astimezone(tz)
    day = local_now.date()
    weekday = WEEKDAYS.index(cfg.digest.weekday.lower()) if cfg.digest.frequency == "weekly" else None
    for _ in range(8):
        candidate = datetime.combine(day, at, tzinfo=tz)
        if candidate <= local_now and (weekday is None or day.weekday() == weekday):
            return candidate.astimezone(timezone.utc)
        day -= timedelta(days=1)
    raise AssertionError("a weekday recurs within 8 days")  # unreachable


def slot_key(moment: datetime) -> str:
    """A slot as the UTC ISO string stored in ``digests.slot``."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
