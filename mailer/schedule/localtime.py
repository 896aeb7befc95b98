"""Send times as people type and read them: local wall-clock time in ``[schedule] timezone``.

Stored in UTC. Daylight saving, decided once and documented in docs/operator.md:
- a time that does not exist (clocks jump forward, e.g. 2027-03-28 02:30 in Amsterdam) is refused
  with the nearest valid times suggested;
- a time that happens twice (clocks go back, e.g. 2026-10-25 02:30) means the first occurrence
  (summer time); the returned note says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ..errors import InvalidInput, Text

FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class LocalTime:
    utc: datetime        # aware, UTC
    note: str = ""       # set when the wall time was ambiguous


def parse_local(text: str, tz: ZoneInfo) -> LocalTime:
    """``"2026-11-26 09:00"`` in ``tz`` -> UTC. Raises ``InvalidInput`` for bad or non-existent times."""
    raw = " ".join(text.strip().replace("T", " ").split())
    try:
        wall = datetime.strptime(raw, FORMAT)
    except ValueError:
        raise InvalidInput("'%(text)s' is not a time like \"2026-11-26 09:00\" (YYYY-MM-DD "
                           "HH:MM, %(key)s)", text=text, key=tz.key) from None
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return LocalTime(first.astimezone(timezone.utc))
    back = first.astimezone(timezone.utc).astimezone(tz)
    if back.replace(tzinfo=None) != wall:
        before = (first.astimezone(timezone.utc) - timedelta(hours=1)).astimezone(tz)
        after = back
        raise InvalidInput(
            "%(raw)s does not exist in %(key)s (the clocks jump forward that night): pick "
            "%(before)s or %(after)s instead",
            raw=raw, key=tz.key, before=before.strftime('%H:%M'), after=after.strftime('%H:%M'),
        )
    note = str(Text("%(raw)s happens twice in %(key)s (the clocks go back that night); taken as the first, "
                    "%(local)s = %(utc)s UTC", raw=raw, key=tz.key, local=format_local(first, tz),
                    utc=format(first.astimezone(timezone.utc), "%H:%M")))
    return LocalTime(first.astimezone(timezone.utc), note)


def format_local(moment: datetime | None, tz: ZoneInfo) -> str:
    """UTC (or any aware) time -> ``"2026-11-26 09:00 CET"`` in ``tz``; empty for None."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(tz)
    return f"{local.strftime(FORMAT)} {local.tzname()}"
