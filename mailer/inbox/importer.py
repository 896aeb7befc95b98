"""``mailer reactions import``: replies that reached someone's own mailbox, through the same pipeline.

Accepts one ``.eml`` file, one ``.mbox`` file, or a folder (searched recursively for both). The
source is recorded as ``import:<path>``; deduplication by content makes a second import of the
same file file nothing.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInput, NotFound
from ..runtime import Runtime
from .pipeline import Duplicate, FiledReaction, Filer, Incoming

BATCH_SIZE = 200
EML_SUFFIXES = (".eml",)
MBOX_SUFFIXES = (".mbox", ".mbx")


@dataclass
class ImportReport:
    files: int = 0
    messages: int = 0
    new: int = 0
    resumed: int = 0           # of ``new``: stored by an interrupted import, filed only now
    duplicates: int = 0
    errors: int = 0            # messages filed with an error noted on them (whatever their kind)
    by_kind: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # files that are neither .eml nor .mbox

    def summary(self) -> str:
        text = f"{self.new} new, {self.duplicates} already filed"
        if self.resumed:
            text += f", {self.resumed} of the new ones stored by an interrupted import before"
        if set(self.by_kind) - {"reaction"}:
            text += " (" + ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind.items())) + ")"
        if self.errors:
            text += f"; {self.errors} with errors noted on them"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} file(s) that are not .eml or .mbox"
        return text


def _messages(path: Path, report: ImportReport) -> Iterator[tuple[bytes, str]]:
    """(raw bytes, source) of every message under ``path``."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    else:
        files = [path]
    for f in files:
        suffix = f.suffix.lower()
        if suffix in EML_SUFFIXES or (not path.is_dir() and suffix not in MBOX_SUFFIXES and _looks_like_eml(f)):
            report.files += 1
            yield f.read_bytes(), f"import:{f}"
        elif suffix in MBOX_SUFFIXES or (not path.is_dir() and _looks_like_mbox(f)):
            report.files += 1
            box = mailbox.mbox(str(f), create=False)
            try:
                for key in box.iterkeys():
                    yield box.get_bytes(key), f"import:{f}"
            finally:
                box.close()
        else:
            report.skipped.append(str(f))


def _looks_like_mbox(f: Path) -> bool:
    with f.open("rb") as fh:
        return fh.read(5) == b"From "


def _looks_like_eml(f: Path) -> bool:
    with f.open("rb") as fh:
        head = fh.read(4096)
    return not head.startswith(b"From ") and b":" in head.split(b"\n", 1)[0]


def import_path(rt: Runtime, path: str | Path, *, batch_size: int = BATCH_SIZE) -> ImportReport:
    """File every message in ``path`` (.eml, .mbox or a folder of them). Raises ``NotFound``/``InvalidInput``."""
    p = Path(path).expanduser()
    if not p.exists():
        raise NotFound(f"{p} does not exist: give an .eml file, an .mbox file or a folder holding them")
    report = ImportReport()
    filer = Filer(rt)
    batch: list[Incoming] = []

    def flush() -> None:
        for r in filer.file_batch(batch):
            if isinstance(r, Duplicate):
                report.duplicates += 1
            elif isinstance(r, FiledReaction):
                report.new += 1
                report.resumed += r.resumed
                report.errors += bool(r.error)
                report.by_kind[r.kind] = report.by_kind.get(r.kind, 0) + 1
        batch.clear()

    for raw, source in _messages(p, report):
        report.messages += 1
        batch.append(Incoming(raw, source))
        if len(batch) >= batch_size:
            flush()
    flush()
    if report.files == 0:
        raise InvalidInput(f"no .eml or .mbox files in {p}: export the replies from your mail client as .eml or .mbox")
    return report
