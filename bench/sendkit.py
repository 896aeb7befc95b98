"""Shared set-up of the send robustness benches (killcount, flaky_relay): a config for a local relay,
subscribers in a real SQLite file, the `mailer` command line, and counting what the relay received."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "2026-11-samen-verder"


def prepare(folder: Path, port: int, recipients: int, connections: int, smtp_extra: str = "") -> Path:
    """Write ``config.toml`` (sample issues, this relay) and ``recipients`` active subscribers
    ``lezer<i>@example.org``; returns the config's path."""
    from mailer.db import connect

    config = folder / "config.toml"
    config.write_text(f"""
[database]
path = "{folder / 'mailer.db'}"
[content]
newsletters_dir = "{ROOT / 'newsletters'}"
templates_dir = "{ROOT / 'templates'}"
output_dir = "{folder / 'out'}"
[smtp]
host = "127.0.0.1"
port = {port}
connections = {connections}
{smtp_extra}
""", encoding="utf-8")
    db = connect(folder / "mailer.db")
    with db.conn:
        db.conn.executemany(
            "INSERT INTO subscribers (email, name, status, created_at, updated_at) VALUES (?,?,'active',?,?)",
            ((f"lezer{i}@example.org", f"Lezer {i}", "2026-01-01", "2026-01-01") for i in range(recipients)))
    db.conn.close()
    return config


def mailer_command(config: Path) -> tuple[list[str], dict[str, str]]:
    """The `mailer --config CONFIG` command of this checkout, and the environment to run it in."""
    return ([sys.executable, "-c", "from mailer.cli import main; main()", "--config", str(config)],
            dict(os.environ, PYTHONPATH=str(ROOT)))


def lost_and_duplicates(recipients: int, received_by: Iterable[str]) -> tuple[int, int, int]:
    """(recipients never received, messages received more than once, messages received)."""
    received = Counter(received_by)
    expected = {f"lezer{i}@example.org" for i in range(recipients)}
    return len(expected - set(received)), sum(n - 1 for n in received.values()), sum(received.values())
