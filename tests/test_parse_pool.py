"""The parsing workers: real spawned processes, outcomes in order, a dead worker loses nothing."""

from __future__ import annotations

import os
import signal
import time

from conftest import DATA
from mailer.inbox import parse_pool
from mailer.inbox.parse import parse_message
from mailer.inbox.parse_pool import ParsePool

OWN = ("nieuwsbrief@verkenning.example.nl", "reacties@verkenning.example.nl", "bounces@verkenning.example.nl")
MAX = 25 * 1024 * 1024


def _mail() -> list[bytes]:
    """Every sample message of tests/data (replies, bounces, auto-replies, HTML-only), and some garbage."""
    raws = [p.read_bytes() for p in sorted(DATA.glob("*.eml"))]
    return raws + [b"", b"\xff\xfe not a message", b"Subject: =?bogus?Q?x?=\r\n\r\nbody"]


def _gone(pid: int, seconds: float) -> bool:
    """True once ``pid`` has ended (a zombie waiting to be reaped counts as ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def test_workers_parse_every_message_as_the_poller_would_in_order():
    raws = _mail()
    assert len(raws) > 3 * parse_pool.CHUNK  # several rounds per worker
    with ParsePool(2, max_bytes=MAX, own_addresses=OWN) as pool:
        outcomes = list(pool.parse(raws))
        again = list(pool.parse(raws[:3]))  # the pool serves one batch after another
        pids = pool.pids
    assert outcomes == [parse_message(raw, max_bytes=MAX, own_addresses=OWN) for raw in raws]
    assert again == outcomes[:3]
    assert all(pid is not None and _gone(pid, 5) for pid in pids)  # closed: the workers left


def test_a_killed_worker_leaves_the_rest_to_the_poller():
    raws = _mail()
    with ParsePool(2, max_bytes=MAX, own_addresses=OWN) as pool:
        first = list(pool.parse(raws[:4]))  # both workers are up and have served
        victim = pool.pids[1]
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        assert _gone(victim, 5)
        outcomes = list(pool.parse(raws))
    assert first + outcomes == [parse_message(raw, max_bytes=MAX, own_addresses=OWN) for raw in raws[:4] + raws]


def test_a_batch_left_early_does_not_leak_into_the_next():
    raws = _mail()
    with ParsePool(2, max_bytes=MAX, own_addresses=OWN) as pool:
        partial = pool.parse(raws)
        next(partial)
        partial.close()  # the caller failed mid-batch
        outcomes = list(pool.parse(raws[5:9]))
    assert outcomes == [parse_message(raw, max_bytes=MAX, own_addresses=OWN) for raw in raws[5:9]]
