"""Rate limits shared by all SMTP connections of one send: per second, per hour, and a sliding
24-hour window for a provider's daily quota.

Hand-written (about 60 lines) because the limiter libraries on PyPI either count fixed windows
(which lets a daily quota be exceeded across midnight) or need Redis.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

DAY = 24 * 3600.0
HOUR = 3600.0


class QuotaReached(Exception):
    """The daily quota is used up; ``resume_at`` is when the oldest send leaves the 24 h window."""

    def __init__(self, resume_at: datetime) -> None:
        super().__init__(resume_at.isoformat())
        self.resume_at = resume_at


class Throttle:
    """``acquire()`` blocks until one more message may go, or raises ``QuotaReached``.

    ``earlier_sends``: wall-clock timestamps (unix seconds) of sends in the last 24 h, from the ledger,
    so a restarted process still honours the daily quota.
    """

    def __init__(self, per_second: float = 0.0, per_hour: int = 0, daily_quota: int = 0,
                 earlier_sends: Iterable[float] = (), clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.per_hour = per_hour
        self.daily_quota = daily_quota
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        now = clock()
        recent = sorted(t for t in earlier_sends if t > now - DAY)
        self._day: deque[float] = deque(recent[-daily_quota:] if daily_quota else ())
        self._hour: deque[float] = deque(t for t in recent if t > now - HOUR) if per_hour else deque()

    @property
    def active(self) -> bool:
        return bool(self.interval or self.per_hour or self.daily_quota)

    def acquire(self) -> None:
        if not self.active:
            return
        while True:
            with self._lock:
                now = self._clock()
                wait = 0.0
                if self.daily_quota:
                    while self._day and self._day[0] <= now - DAY:
                        self._day.popleft()
                    if len(self._day) >= self.daily_quota:
                        resume = datetime.fromtimestamp(self._day[0] + DAY, timezone.utc)
                        raise QuotaReached(resume)
                if self.per_hour:
                    while self._hour and self._hour[0] <= now - HOUR:
                        self._hour.popleft()
                    if len(self._hour) >= self.per_hour:
                        wait = max(wait, self._hour[0] + HOUR - now)
                if self.interval and self._next_slot > now:
                    wait = max(wait, self._next_slot - now)
                if wait <= 0:
                    self._next_slot = max(self._next_slot, now) + self.interval
                    if self.daily_quota:
                        self._day.append(now)
                    if self.per_hour:
                        self._hour.append(now)
                    return
            self._sleep(min(wait, 5.0))


def since(hours: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat(timespec="seconds")
