"""Kill-and-count: a real `mailer send` to 5,000 recipients, killed with SIGKILL at random points and
restarted until done, against a counting SMTP server (aiosmtpd) in this process.

  .venv/bin/python bench/killcount.py [--recipients 5000] [--kills 6] [--connections 2] [--seed N]

Prints recipients lost (never received: must be 0) and duplicates (received twice: at most one per
open connection per kill). The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sendkit  # noqa: E402  (bench/, beside this file)
from sendkit import SLUG  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipients", type=int, default=5000)
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else time.time_ns() % 1_000_000
    rng = random.Random(seed)
    os.environ.setdefault("MAILER_SECRET_KEY", "killcount-secret")

    from mailer.localservers import LocalSmtpServer

    with tempfile.TemporaryDirectory(prefix="mailer-killcount-") as tmp, LocalSmtpServer() as smtp:
        folder = Path(tmp)
        config = sendkit.prepare(folder, smtp.port, args.recipients, args.connections)
        base, env = sendkit.mailer_command(config)
        command = base + ["send", SLUG, "--no-progress"]
        kills, runs = 0, 0
        started = time.monotonic()
        while True:
            runs += 1
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if kills < args.kills:
                target = len(smtp.messages) + rng.randint(1, max(2, args.recipients // (args.kills + 1)))
                while len(smtp.messages) < target and proc.poll() is None:
                    time.sleep(0.0005)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    print(f"killed run {runs} after {len(smtp.messages)} messages received", flush=True)
                    continue
            out, err = proc.communicate()
            if proc.returncode != 0:
                print(subprocess.run(["ps", "-o", "pid,ppid,stat,etime,wchan:20,args", "-C", "python", "-C", "python3"],
                                     capture_output=True, text=True).stdout[-3000:])
                raise SystemExit(f"mailer send failed: {err.decode()}")
            if b"Status: sent" in out or b"al naar iedereen" in out:
                break
        elapsed = time.monotonic() - started
        lost, duplicates, total = sendkit.lost_and_duplicates(args.recipients, (m.rcpt_tos[0] for m in smtp.messages))

    bound = kills * args.connections
    print(f"recipients: {args.recipients}, kills: {kills}, runs: {runs}, connections: {args.connections}")
    print(f"lost: {lost}   duplicates: {duplicates} (bound: kills x connections = {bound})   "
          f"messages received: {total} in {elapsed:.1f} s")
    print(json.dumps({"recipients": args.recipients, "kills": kills, "runs": runs, "connections": args.connections,
                      "lost": lost, "duplicates": duplicates, "duplicate_bound": bound,
                      "ok": lost == 0 and duplicates <= bound, "seed": seed, "seconds": round(elapsed, 1)}))


if __name__ == "__main__":
    main()
