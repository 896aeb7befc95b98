"""A newsletter file as its author edits it: front-matter fields and Markdown pieces, read from and
written back to the file's text (pure: no file I/O).

``read_draft`` keeps every piece as the author wrote it (headings as Markdown, bodies verbatim);
``write_draft`` writes the layout of the sample issues, so a file written by the desk reads like
one written by hand, and reading a sample and writing it back gives the same text.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from ..errors import InvalidInput
from .model import Theme
from .source import FENCE, OUTRO_MARKER, SEND_AT_FORMAT, SLUG, THEME_MARK, section_starts, split_front_matter

OUTRO_LINE = "<!-- afsluiting -->"
FIELDS = ("slug", "title", "subject", "preheader", "send_at", "language")
COVER_FIELDS = ("cover", "cover_alt", "cover_credit")


@dataclass(frozen=True)
class DraftSection:
    heading: str        # the heading's Markdown, without "## " and without the theme mark
    theme: str = ""     # a theme slug, or "" for a section without a theme
    body: str = ""      # the section's Markdown


@dataclass(frozen=True)
class Draft:
    slug: str
    title: str = ""
    subject: str = ""
    preheader: str = ""
    send_at: str = ""                   # "YYYY-MM-DD HH:MM" in the configured zone, or ""
    language: str = "nl"
    cover: str = ""                     # the cover photo's path ("media/foto.jpg"), its alt text, its credit
    cover_alt: str = ""
    cover_credit: str = ""
    themes: tuple[Theme, ...] = ()      # as declared in the front matter, in that order
    intro: str = ""
    sections: tuple[DraftSection, ...] = field(default_factory=tuple)
    outro: str = ""

    def normalised(self) -> "Draft":
        """The draft as it reads back after writing: one-line fields, trimmed Markdown."""
        return replace(
            self,
            title=one_line(self.title), subject=one_line(self.subject), preheader=one_line(self.preheader),
            send_at=one_line(self.send_at), intro=block(self.intro), outro=block(self.outro),
            cover=one_line(self.cover), cover_alt=one_line(self.cover_alt), cover_credit=one_line(self.cover_credit),
            sections=tuple(DraftSection(one_line(s.heading), s.theme.strip(), block(s.body)) for s in self.sections),
        )


def one_line(text: str) -> str:
    return " ".join(text.split())


def block(text: str) -> str:
    """Markdown with LF line ends, no trailing blanks at line ends beyond a hard break, trimmed."""
    lines = [line.rstrip() if not line.endswith("  ") else line.rstrip() + "  "
             for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are valid TOML; DEL must be escaped too."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _send_at_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime(SEND_AT_FORMAT)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d") + " 09:00"
    return str(value or "")


def read_draft(source: str, path: Path = Path("newsletter.md")) -> Draft:
    """The pieces of a newsletter file. Raises InvalidInput (with the file and line) when the front
    matter is missing or is not TOML; content rules are checked by parse_newsletter."""
    source = source.replace("\r\n", "\n")
    front, body_lines, _offset = split_front_matter(path, source)
    try:
        meta = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("%(path)s: front matter is not valid TOML (%(exc)s): fix the "
                           "syntax there", path=path, exc=exc) from None
    themes: list[Theme] = []
    raw_themes = meta.get("themes") or []
    if isinstance(raw_themes, list):
        for item in raw_themes:
            if isinstance(item, dict) and isinstance(item.get("slug"), str):
                themes.append(Theme(item["slug"], str(item.get("name", item["slug"]))))
    outro = ""
    for i, line in enumerate(body_lines):
        if OUTRO_MARKER.match(line):
            outro = "\n".join(body_lines[i + 1:])
            body_lines = body_lines[:i]
            break
    body = "\n".join(body_lines)
    starts = section_starts(body)
    intro = "\n".join(body_lines[: starts[0][0] if starts else len(body_lines)])
    sections: list[DraftSection] = []
    for n, (start, after) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(body_lines)
        heading = re.sub(r"^#{2}\s*", "", body_lines[start].strip()).rstrip("#").strip()
        theme = ""
        mark = THEME_MARK.search(heading)
        if mark:
            heading, theme = heading[: mark.start()].strip(), mark.group(1)
        sections.append(DraftSection(heading, theme, "\n".join(body_lines[after:end])))

    def text(key: str) -> str:
        value = meta.get(key, "")
        return value if isinstance(value, str) else str(value)

    return Draft(
        slug=text("slug"), title=text("title"), subject=text("subject"), preheader=text("preheader"),
        send_at=_send_at_text(meta.get("send_at")), language=text("language") or "nl",
        cover=text("cover"), cover_alt=text("cover_alt"), cover_credit=text("cover_credit"),
        themes=tuple(themes), intro=intro, sections=tuple(sections), outro=outro,
    ).normalised()


def write_draft(draft: Draft) -> str:
    """The file's text for ``draft`` (front matter between +++ lines, then the Markdown)."""
    d = draft.normalised()
    front = [f"slug = {toml_string(d.slug)}", f"title = {toml_string(d.title)}",
             f"subject = {toml_string(d.subject)}"]
    if d.preheader:
        front.append(f"preheader = {toml_string(d.preheader)}")
    if d.send_at:
        front.append(f"send_at = {toml_string(d.send_at)}")
    front.append(f"language = {toml_string(d.language or 'nl')}")
    for key in COVER_FIELDS:
        if getattr(d, key):
            front.append(f"{key} = {toml_string(getattr(d, key))}")
    for theme in d.themes:
        front += ["", "[[themes]]", f"slug = {toml_string(theme.slug)}", f"name = {toml_string(one_line(theme.name))}"]
    parts = [FENCE + "\n" + "\n".join(front) + "\n" + FENCE]
    if d.intro:
        parts.append(d.intro)
    for s in d.sections:
        mark = f" {{theme={s.theme}}}" if s.theme else ""
        parts.append(f"## {s.heading}{mark}" + (f"\n\n{s.body}" if s.body else ""))
    if d.outro:
        parts += [OUTRO_LINE, d.outro]
    return "\n\n".join(parts) + "\n"


def slugify(text: str) -> str:
    """A slug from a title or theme name: "Kracht van het collectief" -> "kracht-van-het-collectief"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return re.sub(r"-{2,}", "-", slug)[:80].strip("-")


def is_slug(text: str) -> bool:
    return bool(SLUG.match(text)) and len(text) <= 120


__all__ = ["COVER_FIELDS", "Draft", "DraftSection", "FIELDS", "OUTRO_LINE", "is_slug", "read_draft", "slugify", "write_draft"]
