"""The bundle: the approved quotes of a theme for the book of reflections, grouped by the issue
and section they answered, each with the reader's name or "a reader" as they agreed, as Markdown
or as a Word document (python-docx). Reactions without permission are left out and counted."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlite_utils

from .. import i18n
from ..errors import InvalidInput, NotFound
from ..stores import newsletters, quotes
from ..stores.quotes import BundleRow

DOMAIN = "quotes"
FORMATS = (".md", ".docx")


@dataclass(frozen=True)
class BundleReport:
    path: Path | None
    theme: str
    theme_name: str
    quotes: int
    left_out: int       # reactions of the theme that may not be quoted


@dataclass(frozen=True)
class Bundle:
    theme: str
    theme_name: str
    newsletter_title: str
    rows: list[BundleRow]
    left_out: int


def collect(db: sqlite_utils.Database, theme: str, newsletter: str | None = None) -> Bundle:
    """The approved quotes of ``theme`` (and of one newsletter's slug, when given). Raises
    ``NotFound`` for an unknown theme or newsletter, naming those that exist."""
    names = dict(newsletters.theme_choices(db))
    if theme not in names:
        raise NotFound("no theme '%(theme)s': known themes are %(themes)s", theme=theme,
                       themes=", ".join(sorted(names)) or "-")
    title = ""
    if newsletter is not None:
        row = newsletters.find(db, newsletter)
        if row is None:
            raise NotFound("no newsletter '%(slug)s': see 'mailer newsletters list'", slug=newsletter)
        title = row.title
    return Bundle(theme, names[theme], title, quotes.bundle_rows(db, theme, newsletter),
                  quotes.unapproved_count(db, theme, newsletter))


def _date(value: str, tz: ZoneInfo) -> str:
    return datetime.fromisoformat(value).astimezone(tz).strftime("%d-%m-%Y") if value else ""


def _groups(rows: list[BundleRow]) -> Iterator[tuple[str, list[BundleRow]]]:
    """(heading: "issue — section", its quotes) in the order of the issues."""
    def key(r: BundleRow) -> str:
        return " — ".join(p for p in (r.newsletter_title, r.section_heading) if p)

    for heading, members in groupby(rows, key=key):
        yield heading, list(members)


def _texts(bundle: Bundle, language: str, tz: ZoneInfo) -> tuple[str, str, str]:
    def t(message: str, **params: object) -> str:
        return i18n.gettext(language, DOMAIN, message, **params)

    title = t("Bundle: %(theme)s", theme=bundle.theme_name)
    if bundle.newsletter_title:
        title += f" — {bundle.newsletter_title}"
    made = t("%(n)s approved quote(s), compiled %(date)s. Readers who did not give permission are left out.",
             n=len(bundle.rows), date=datetime.now(tz).strftime("%d-%m-%Y"))
    return title, made, t("a reader")


def paragraphs(passage: str) -> list[str]:
    """The passage's paragraphs, each on one line (a letter's hard line wraps undone)."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", passage.strip()) if p.strip()]


def _meta(r: BundleRow, language: str, tz: ZoneInfo) -> str:
    return i18n.gettext(language, DOMAIN, "Reaction %(id)s, written %(written)s; permission given %(given)s",
                        id=r.reaction_id, written=_date(r.written_at, tz), given=_date(r.answered_at, tz))


def bundle_markdown(bundle: Bundle, language: str, tz: ZoneInfo) -> str:
    """The bundle as Markdown: a heading per issue and section, each quote as a blockquote."""
    title, made, anonymous = _texts(bundle, language, tz)
    out = [f"# {title}", "", f"_{made}_", ""]
    for heading, rows in _groups(bundle.rows):
        if heading:
            out += [f"## {heading}", ""]
        for r in rows:
            for paragraph in paragraphs(r.passage):
                out += [f"> {paragraph}", ">"]
            out += [f"> — {r.name or anonymous}", "", f"_{_meta(r, language, tz)}_", ""]
    return "\n".join(out)


def bundle_docx(bundle: Bundle, language: str, tz: ZoneInfo) -> bytes:
    """The bundle as a Word document (python-docx's default template and its Quote style)."""
    from docx import Document

    title, made, anonymous = _texts(bundle, language, tz)
    doc = Document()
    doc.core_properties.title = title
    doc.add_heading(title, level=0)
    doc.add_paragraph().add_run(made).italic = True
    for heading, rows in _groups(bundle.rows):
        if heading:
            doc.add_heading(heading, level=1)
        for r in rows:
            for paragraph in paragraphs(r.passage):
                doc.add_paragraph(paragraph, style="Quote")
            doc.add_paragraph(f"— {r.name or anonymous}")
            doc.add_paragraph().add_run(_meta(r, language, tz)).italic = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_bundle(db: sqlite_utils.Database, theme: str, newsletter: str | None, path: Path, language: str,
                 tz: ZoneInfo) -> BundleReport:
    """Write the bundle to ``path``: Word for .docx, Markdown for .md."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput("the bundle is written as .docx or .md, not '%(suffix)s': name the file accordingly",
                           suffix=suffix or path.name)
    bundle = collect(db, theme, newsletter)
    data = bundle_docx(bundle, language, tz) if suffix == ".docx" else bundle_markdown(bundle, language, tz).encode()
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InvalidInput("cannot write %(path)s (%(error)s): choose another file", path=path,
                           error=exc.strerror or exc) from None
    return BundleReport(path, theme, bundle.theme_name, len(bundle.rows), bundle.left_out)
