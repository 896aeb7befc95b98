"""One sender per newsletter on this machine: an ``flock`` on a file beside the database.

The kernel releases it when its holder dies (even by kill -9), so a crashed send never blocks its
own resumption; worker processes inherit it and keep it until they are gone too.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InvalidInput


class SendBusy(InvalidInput):
    """Another process holds the send lock of this newsletter."""


@contextmanager
def send_lock(database: Path, newsletter_id: int, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the newsletter's send lock for the block; wait up to ``wait`` seconds for it (the
    workers of a sender that was just killed need a moment to notice and leave)."""
    lock_path = database.with_name(f"{database.name}.send-{newsletter_id}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SendBusy("this newsletter is being sent by another process right now: wait for it, "
                                   "or see 'mailer newsletters list'") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
