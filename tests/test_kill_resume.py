"""Crash safety: a real `mailer send` process killed with SIGKILL at random points, restarted until
done. Every recipient gets the issue; only messages in flight at a kill (at most one per connection)
may arrive twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from test_send_kit import SLUG, make_runtime

from conftest import PROJECT_ROOT
from mailer.localservers import LocalSmtpServer
from mailer.stores import deliveries, newsletters

SUBSCRIBERS = 500
CONNECTIONS = 2
KILLS = 4


def _start(config_path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", "from mailer.cli import main; main()", "--config", str(config_path),
         "send", SLUG, "--no-progress"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("full_speed", [False, True], ids=["throttled-threads", "full-speed-processes"])
def test_kill_9_and_resume_loses_nobody(tmp_path, full_speed):
    rng = random.Random(int(os.environ.get("KILL_SEED", time.time_ns())))
    subscribers = SUBSCRIBERS * 3 if full_speed else SUBSCRIBERS
    with LocalSmtpServer() as smtp:
        # Throttled: a rate limit keeps each run long enough to be killed at a random point mid-send
        # (workers are threads). Full speed: one worker process per connection, more subscribers.
        extra = {} if full_speed else {"rate_per_second": 300}
        rt = make_runtime(tmp_path, smtp.port, smtp={"connections": CONNECTIONS, **extra})
        with rt.db.conn:   # subscribers in bulk (the store's add() per row would be slow here)
            rt.db.conn.executemany(
                "INSERT INTO subscribers (email, name, status, created_at, updated_at) VALUES (?,?,'active',?,?)",
                [(f"lezer{i}@example.org", f"Lezer {i}", "2026-01-01", "2026-01-01") for i in range(subscribers)])
        kills = 0
        deadline = time.monotonic() + 60
        while kills < KILLS:
            proc = _start(rt.config.source)
            before = len(smtp.messages)
            if kills == 0:
                time.sleep(rng.uniform(0.3, 1.0))           # somewhere in start-up or the first messages
            else:
                target = before + rng.randint(5, subscribers // (KILLS + 1))
                while len(smtp.messages) < target and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.001)
            if proc.poll() is not None:
                break   # it finished before we could kill it
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        for _ in range(3):   # restart until done
            proc = _start(rt.config.source)
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err.decode()
            if "al naar iedereen verstuurd" in out.decode() or "Status: sent" in out.decode():
                break
        received = Counter(m.rcpt_tos[0] for m in smtp.messages)

    assert kills >= 2, "the sender finished before it could be killed: raise SUBSCRIBERS"
    missing = {f"lezer{i}@example.org" for i in range(subscribers)} - set(received)
    assert not missing, f"{len(missing)} recipients never got the issue"
    duplicates = sum(n - 1 for n in received.values())
    print(f"kills={kills} duplicates={duplicates} messages={sum(received.values())}")
    assert duplicates <= kills * CONNECTIONS, (duplicates, kills)
    row = newsletters.get(rt.db, SLUG)
    assert row.status == "sent"
    assert deliveries.count_by_status(rt.db, row.id)["sent"] == subscribers
