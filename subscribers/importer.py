"""CSV import from the tools people leave behind: Mailchimp, listmonk, Laposta, or a plain email,name.

The file is read whole (100,000 rows are a few MB), its delimiter and columns recognised, every
row checked, and the new subscribers written in one transaction with batched inserts. Rows that
cannot be imported are reported with their line number and reason; addresses on the suppression
list are skipped and counted, so an import can never silently undo an unsubscribe.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from mailer.errors import InvalidInput, NotFound
from mailer.stores import newsletters

from . import consent, store

# Header names seen in exports, lower-cased with '_' and runs of spaces turned into one space.
EMAIL = {"email", "email address", "e-mail", "e-mailadres", "emailadres", "e-mail address", "e-mail adres",
         "mail", "mailadres", "email adres"}
NAME = {"name", "naam", "full name", "volledige naam", "fullname", "display name"}
FIRST = {"first name", "firstname", "voornaam", "fname", "given name"}
MIDDLE = {"tussenvoegsel", "tussenvoegsels", "middle name", "prefix"}
LAST = {"last name", "lastname", "achternaam", "lname", "surname", "family name"}
STATUS = {"status", "subscription status", "subscription_status"}
THEMES = {"themes", "theme", "thema's", "themas", "thema", "interests", "interesses"}
# Statuses in other tools' exports that mean "do not mail".
OFF_LIST = {"unsubscribed": "unsubscribed", "cleaned": "bounced", "bounced": "bounced",
            "blocklisted": "unsubscribed", "blacklisted": "unsubscribed", "complained": "complained",
            "afgemeld": "unsubscribed", "uitgeschreven": "unsubscribed", "spam": "complained"}
DELIMITERS = (",", ";", "\t")
BATCH = 5000
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class RejectedRow:
    line: int
    value: str
    reason: str


@dataclass
class ImportReport:
    file: str
    source: str
    dry_run: bool
    format: str = "plain"
    delimiter: str = ","
    encoding: str = "utf-8"
    rows: int = 0
    imported: int = 0
    already_subscribed: int = 0
    suppressed: int = 0
    off_list_in_source: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "rejected"}
        d["rejected"] = [r.__dict__ for r in self.rejected]
        return d


@dataclass(frozen=True)
class _Columns:
    email: int
    name: int | None = None
    first: int | None = None
    middle: int | None = None
    last: int | None = None
    status: int | None = None
    themes: int | None = None


def _norm_header(h: str) -> str:
    return re.sub(r"\s+", " ", h.replace("\ufeff", "").replace("_", " ").strip().lower())


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it in NL."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter of the first non-empty line: the most frequent of , ; and tab outside quotes.

    csv.Sniffer guesses from a sample and is easily misled by commas inside quoted names; the
    header line of an export almost never has quoted delimiters, so counting there is reliable.
    """
    for line in text.splitlines():
        if line.strip():
            unquoted = re.sub(r'"[^"]*"', "", line)
            counts = {d: unquoted.count(d) for d in DELIMITERS}
            best = max(DELIMITERS, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _columns(header: list[str]) -> tuple[_Columns, str] | None:
    names = [_norm_header(h) for h in header]

    def find(options: set[str]) -> int | None:
        return next((i for i, n in enumerate(names) if n in options), None)

    email = find(EMAIL)
    if email is None:
        return None
    fmt = ("mailchimp" if names[email] == "email address" else
           "listmonk" if "attributes" in names else
           "laposta" if names[email] == "e-mailadres" else "plain")
    return _Columns(email, find(NAME), find(FIRST), find(MIDDLE), find(LAST), find(STATUS), find(THEMES)), fmt


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


def _name(row: list[str], cols: _Columns) -> str:
    full = _cell(row, cols.name)
    if full:
        return " ".join(full.split())
    parts = [_cell(row, cols.first), _cell(row, cols.middle), _cell(row, cols.last)]
    return " ".join(" ".join(p for p in parts if p).split())


def import_csv(db: sqlite_utils.Database, path: str | Path, source: str | None = None, *, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import subscribers from a CSV file as active, logging ``import`` with ``source`` for each.

    Raises ``NotFound`` if the file is missing and ``InvalidInput`` if no email column is found.
    """
    started = time.perf_counter()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{path} does not exist: give the path of a CSV file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path} ({exc.strerror}): check the path and permissions") from None
    text, encoding = decode(raw)
    report = ImportReport(file=str(path), source=source or f"import:{path.name}", dry_run=dry_run,
                          encoding=encoding, delimiter=sniff_delimiter(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter)
    records: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for row in reader:
            records.append((last + 1, row))
            last = reader.line_num
    except csv.Error as exc:
        raise InvalidInput(f"{path} line {reader.line_num}: broken CSV ({exc}); fix the quoting there") from None

    records = [(n, r) for n, r in records if any(c.strip() for c in r)]
    if not records:
        raise InvalidInput(f"{path} has no rows: export the list again with its header row")
    found = _columns(records[0][1])
    if found is None:
        if "@" in records[0][1][0]:  # no header: email,name
            cols, report.format = _Columns(0, 1), "headerless"
        else:
            raise InvalidInput(
                f"{path}: no email column in the header ({', '.join(records[0][1])}); "
                "name it 'email', 'Email Address' or 'E-mailadres'")
    else:
        cols, report.format = found
        records = records[1:]

    known_themes = {slug for slug, _ in newsletters.theme_choices(db)}
    suppressed = store.suppressed_hashes(db)
    existing = store.existing_emails(db)
    seen: dict[str, int] = {}
    new_rows: list[tuple[int, str, str, tuple[str, ...]]] = []
    off_list: list[tuple[int, str, str]] = []
    total = len(records)
    report.rows = total
    for i, (line, row) in enumerate(records, 1):
        value = _cell(row, cols.email)
        if progress and i % BATCH == 0:
            progress(i, total)
        if not value:
            report.rejected.append(RejectedRow(line, "", "no email address in this row"))
            continue
        email, problem = store.try_normalise(value)
        if email is None:
            report.rejected.append(RejectedRow(line, value, f"not a valid email address: {problem}"))
            continue
        if email in seen:
            report.rejected.append(RejectedRow(line, value, f"duplicate of line {seen[email]}"))
            continue
        seen[email] = line
        status = _cell(row, cols.status).lower()
        if status in OFF_LIST:
            report.off_list_in_source += 1
            off_list.append((line, email, OFF_LIST[status]))
            continue
        if store.email_hash(email) in suppressed:
            report.suppressed += 1
            continue
        if email in existing:
            report.already_subscribed += 1
            continue
        # Known themes, or anything shaped like a slug (the newsletter naming it may come later).
        themes = tuple(t for t in (s.strip().lower() for s in re.split(r"[;|,]", _cell(row, cols.themes)))
                       if t in known_themes or SLUG.fullmatch(t))
        new_rows.append((line, email, _name(row, cols)[:200], themes))
    report.imported = len(new_rows)
    if not dry_run:
        _write(db, new_rows, off_list, report)
    if progress:
        progress(total, total)
    report.seconds = time.perf_counter() - started
    return report


def _write(db: sqlite_utils.Database, rows: list[tuple[int, str, str, tuple[str, ...]]],
           off_list: list[tuple[int, str, str]], report: ImportReport) -> None:
    source, filename = report.source, Path(report.file).name
    with store.transaction(db):
        store.add_imported(
            db, [store.ImportedSubscriber(email, name, themes, f"{filename} line {line}")
                 for line, email, name, themes in rows],
            source=source, action=consent.IMPORT, method="import", batch=BATCH)
        for line, email, reason in off_list:
            store.suppress(db, email, reason)
            sub = store.find_by_email(db, email)
            if sub is not None and sub.status in ("active", "pending"):
                store.mark_status(db, sub.id, "unsubscribed" if reason == "unsubscribed" else reason)
                store.log_consent(db, sub.id, consent.UNSUBSCRIBE, method="import", source=source,
                                  detail=f"{reason} in {filename} line {line}")
