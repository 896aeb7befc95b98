"""The throttle: per second, per hour, and a sliding 24-hour daily quota (on a fake clock)."""

from __future__ import annotations

import pytest

from mailer.send.throttle import DAY, QuotaReached, Throttle


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_per_second_spaces_messages():
    clock = Clock()
    t = Throttle(per_second=4, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(9):
        t.acquire()
    assert clock.now - start == pytest.approx(2.0)   # 9 messages at 4/s: the 9th at t=2.0


def test_per_hour_waits_for_the_window():
    clock = Clock()
    t = Throttle(per_hour=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        t.acquire()
    assert clock.now == 1_800_000_000.0
    t.acquire()
    assert clock.now >= 1_800_000_000.0 + 3600


def test_daily_quota_is_a_sliding_window_seeded_from_earlier_sends():
    clock = Clock()
    earlier = [clock.now - DAY + 100, clock.now - 50, clock.now - DAY - 10]   # the last is outside the window
    t = Throttle(daily_quota=3, earlier_sends=earlier, clock=clock, sleep=clock.sleep)
    t.acquire()
    with pytest.raises(QuotaReached) as err:
        t.acquire()
    assert err.value.resume_at.timestamp() == pytest.approx(clock.now + 100)
    clock.now += 101            # the oldest send leaves the window
    t.acquire()


def test_no_limits_never_waits():
    clock = Clock()
    t = Throttle(clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        t.acquire()
    assert clock.now == 1_800_000_000.0 and not t.active
