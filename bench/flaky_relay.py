"""Flaky relay: a real `mailer send` to 5,000 recipients through a relay (aiosmtpd, in this process) that
answers 421 to everything for a while (--outage seconds, default 60) at random moments, then recovers.

  .venv/bin/python bench/flaky_relay.py [--recipients 5000] [--outages 2] [--outage 60] [--seed N]

What still waits when `mailer send` ends is sent with `mailer retry` (what `mailer serve` would do on
its own), until nothing waits. Prints recipients lost (never received: must be 0) and duplicates. The
last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sendkit  # noqa: E402  (bench/, beside this file)
from sendkit import SLUG  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipients", type=int, default=5000)
    ap.add_argument("--outages", type=int, default=2)
    ap.add_argument("--outage", type=float, default=60.0, help="seconds each outage lasts")
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else time.time_ns() % 1_000_000
    rng = random.Random(seed)
    os.environ.setdefault("MAILER_SECRET_KEY", "flaky-relay-secret")

    from mailer.localservers import CollectingHandler, LocalSmtpServer

    class FlakyRelay(CollectingHandler):
        """421 to MAIL, RCPT and DATA while an outage lasts."""

        def __init__(self) -> None:
            super().__init__()
            self.down_until = 0.0
            self.refusals = 0

        def down(self) -> bool:
            if time.monotonic() < self.down_until:
                self.refusals += 1
                return True
            return False

        async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                              mail_options: list[str]) -> str:
            if self.down():
                return "421 4.3.2 relay overloaded, try again later"
            envelope.mail_from = address
            return "250 OK"

        async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                              rcpt_options: list[str]) -> str:
            if self.down():
                return "421 4.3.2 relay overloaded, try again later"
            return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            if self.down():
                return "421 4.3.2 relay overloaded, try again later"
            return await super().handle_DATA(server, session, envelope)

    relay = FlakyRelay()
    # Outages start when the relay has accepted these many messages (random, spread over the send).
    starts = sorted(rng.sample(range(args.recipients // 20, args.recipients * 9 // 10), args.outages))
    done = threading.Event()

    def saboteur() -> None:
        for at in starts:
            while len(relay.messages) < at and not done.wait(0.01):
                pass
            if done.is_set():
                return
            relay.down_until = time.monotonic() + args.outage
            print(f"outage of {args.outage:g} s after {len(relay.messages)} messages", flush=True)
            done.wait(args.outage)

    with tempfile.TemporaryDirectory(prefix="mailer-flaky-") as tmp, LocalSmtpServer(handler=relay) as smtp:
        folder = Path(tmp)
        # Backoff 1, 2, 4, 8, 8 ... s: max_attempts tries of the connection ride through an outage.
        attempts = 4 + int(args.outage // 8)
        config = sendkit.prepare(folder, smtp.port, args.recipients, args.connections,
                                 f"retry_initial = 1\nretry_max = 8\nmax_attempts = {attempts}\nretry_lifetime = 3600")
        base, env = sendkit.mailer_command(config)
        thread = threading.Thread(target=saboteur, daemon=True)
        started = time.monotonic()
        thread.start()
        runs = 0
        command = base + ["send", SLUG, "--no-progress"]
        while runs < 50:
            runs += 1
            proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
            print(f"run {runs} ({command[-3]}): exit {proc.returncode}: {proc.stdout.strip()[:160]}", flush=True)
            if proc.returncode == 0:
                break
            if "wachten" not in proc.stderr and "wait" not in proc.stderr:
                raise SystemExit(f"mailer {command[-3]} failed: {proc.stderr.strip()}")
            command = base + ["retry", SLUG, "--no-progress"]
        elapsed = time.monotonic() - started
        done.set()
        lost, duplicates, total = sendkit.lost_and_duplicates(args.recipients, (m.rcpt_tos[0] for m in relay.messages))

    print(f"recipients: {args.recipients}, outages: {len(starts)} x {args.outage:g} s, 421 answers: {relay.refusals}, "
          f"runs: {runs}")
    print(f"lost: {lost}   duplicates: {duplicates}   messages received: {total} in {elapsed:.1f} s")
    print(json.dumps({"recipients": args.recipients, "outages": len(starts), "outage_seconds": args.outage,
                      "refusals_421": relay.refusals, "runs": runs, "lost": lost, "duplicates": duplicates,
                      "ok": lost == 0 and duplicates == 0, "seed": seed, "seconds": round(elapsed, 1)}))


if __name__ == "__main__":
    main()
