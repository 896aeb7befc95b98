"""``mailer demo --serve`` in a subprocess, as a new user starts it: its console lines are read as
they come, and the helper returns once it says how to stop it (Ctrl-C)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def mailer_command() -> list[str]:
    """The installed ``mailer`` script beside this Python, else the package's entry point."""
    script = Path(sys.executable).parent / "mailer"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from mailer.cli import main; main()"]


@contextmanager
def demo_serving(folder: Path, timeout: float = 120) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """The running demo and the lines it printed so far (the list grows while it runs); killed
    afterwards if it is still running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    env["COLUMNS"] = "200"
    proc = subprocess.Popen(mailer_command() + ["demo", "--serve", "--dir", str(folder / "out")], cwd=folder,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(timeout), "".join(lines)
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
