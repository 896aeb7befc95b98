"""A progress bar (rich) for a send in the terminal, fed by counting the deliveries in the database.

Counting rather than being told by the workers keeps it apart from them: they may be threads or
processes, and a bar that misses a tick shows the right figure at the next one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from .. import db as dbmod
from ..stores import deliveries

INTERVAL = 0.5


class SendProgress:
    """``with SendProgress(db_path, newsletter_id, total):`` shows deliveries done out of ``total``."""

    def __init__(self, database: Path, newsletter_id: int, total: int, label: str = "Verzenden") -> None:
        self.database, self.newsletter_id = database, newsletter_id
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("[cyan]{task.fields[rate]}"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False)
        self.task = self.progress.add_task(label, total=total, rate="")
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="send-progress", daemon=True)

    def _count(self, db: object) -> int:
        c = deliveries.count_by_status(db, self.newsletter_id)  # type: ignore[arg-type]
        return sum(n for state, n in c.items() if state not in ("pending", "sending", "waiting"))

    def _run(self) -> None:
        db = dbmod.connect(self.database, migrate=False)
        try:
            first = self._count(db)
            while not self.done.wait(INTERVAL):
                self.progress.update(self.task, completed=self._count(db) - first)
                speed = self.progress.tasks[0].speed or 0.0
                self.progress.update(self.task, rate=f"{speed:,.0f} msg/s")
            self.progress.update(self.task, completed=self._count(db) - first)
        finally:
            db.conn.close()

    def __enter__(self) -> "SendProgress":
        self.progress.start()
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.done.set()
        self.thread.join()
        self.progress.stop()
