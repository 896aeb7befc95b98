"""Newsletter files: TOML front matter between ``+++`` lines, then Markdown.

    +++
    slug = "2026-11-samen-verder"
    title = "Samen verder"
    subject = "Samen verder: wat de overheid van makers leert"
    preheader = "Vier verkenningen over samenwerken."
    send_at = "2026-11-12 09:00"          # optional, in [schedule] timezone
    language = "nl"                       # optional, default nl

    [[themes]]
    slug = "kracht-van-het-collectief"
    name = "Kracht van het collectief"
    +++

    Text before the first section is the introduction.

    ## A section heading {theme=kracht-van-het-collectief}

    The section's Markdown ...

    ## A section without a theme

    <!-- afsluiting -->
    Everything after this marker is the closing text, before the general invitation to reply.

Sections start at each level-2 heading (``## ``) outside code blocks; ``{theme=slug}`` at the end
of the heading marks its theme. See docs/cxo.md for the full guide.

Theme order: the 1-based theme index in reply tokens must agree with the database's
``newsletters.theme_slugs`` (first appearance among the sections), so ``Newsletter.themes`` is
ordered by first appearance in the sections, then any themes no section uses.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .. import i18n
from ..errors import InvalidInput, NotFound, TemplateError, Text
from .images import check_src, find_images
from .markdown import inline_text, parser, to_text
from .model import Cover, Newsletter, Section, Theme

FENCE = "+++"
OUTRO_MARKER = re.compile(r"^\s*<!--\s*(afsluiting|closing)\s*-->\s*$", re.IGNORECASE)
THEME_MARK = re.compile(r"\s*\{\s*theme\s*=\s*([^}\s]*)\s*\}\s*$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SEND_AT_FORMAT = "%Y-%m-%d %H:%M"
LANGUAGES = ("nl", "en")


def _fail(path: Path, line: int, message: Text, fix: Text) -> InvalidInput:
    return InvalidInput("%(path)s:%(line)s: %(message)s: %(fix)s", path=path, line=line, message=message, fix=fix)


def split_front_matter(path: Path, source: str) -> tuple[str, list[str], int]:
    """-> (front matter TOML, body lines, 0-based line index where the body starts)."""
    lines = source.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip() != FENCE:
        raise _fail(path, (first or 0) + 1, Text("no front matter"),
                    Text("start the file with a line '+++', the TOML settings, and another '+++' (see docs/cxo.md)"))
    for end in range(first + 1, len(lines)):
        if lines[end].strip() == FENCE:
            return "\n".join(lines[first + 1:end]), lines[end + 1:], end + 1
    raise _fail(path, first + 1, Text("front matter is not closed"), Text("add a line '+++' after the TOML settings"))


def _key_line(front: str, key: str, offset: int) -> int:
    for i, line in enumerate(front.split("\n")):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return offset + i + 1
    return offset


def _send_at(value: Any, tz: ZoneInfo, path: Path, line: int) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(9, 0), tzinfo=tz)
    if isinstance(value, str):
        try:
            return datetime.strptime(value.strip(), SEND_AT_FORMAT).replace(tzinfo=tz)
        except ValueError:
            pass
    raise _fail(path, line, Text("send_at %(value)s is not a time", value=repr(value)),
                Text("write it as send_at = \"YYYY-MM-DD HH:MM\" (in %(key)s time)", key=tz.key))


def _themes(raw: Any, path: Path, front: str, offset: int) -> list[Theme]:
    line = _key_line(front, "[[themes]]", offset) if "[[themes]]" in front else offset
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(path, line, Text("themes must be a list of tables"),
                    Text("write each theme as [[themes]] with slug = \"...\" and name = \"...\""))
    themes: list[Theme] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("slug"), str) or not isinstance(item.get("name"), str):
            raise _fail(path, line, Text("theme %(item)s lacks a slug or a name", item=repr(item)),
                        Text("give every [[themes]] both slug = \"...\" and name = \"...\""))
        if not SLUG.match(item["slug"]):
            raise _fail(path, line, Text("theme slug %(slug)s is not a slug", slug=repr(item['slug'])),
                        Text("use lower-case letters, digits and hyphens, e.g. kracht-van-het-collectief"))
        if any(t.slug == item["slug"] for t in themes):
            raise _fail(path, line, Text("theme %(slug)s is listed twice", slug=repr(item['slug'])), Text("remove one of the two"))
        themes.append(Theme(item["slug"], item["name"].strip()))
    return themes


COVER_KEYS = ("cover", "cover_alt", "cover_credit")


def _cover(meta: dict[str, Any], path: Path, front: str, offset: int) -> Cover | None:
    """The cover photo from the front matter; its alt text is required, its credit optional."""
    for key in COVER_KEYS:
        if key in meta and not isinstance(meta[key], str):
            raise _fail(path, _key_line(front, key, offset), Text("%(key)s must be text", key=key),
                        Text("write %(key)s = \"...\"", key=key))
    src = str(meta.get("cover", "")).strip()
    line = _key_line(front, "cover", offset)
    if not src:
        if any(str(meta.get(key, "")).strip() for key in COVER_KEYS[1:]):
            raise _fail(path, line, Text("cover_alt or cover_credit without a cover"),
                        Text("add cover = \"media/name.jpg\" or remove them"))
        return None
    alt = " ".join(str(meta.get("cover_alt", "")).split())
    if not alt:
        raise _fail(path, line, Text("the cover photo has no alt text"),
                    Text("add cover_alt = \"what the photo shows\" for readers who cannot see it"))
    return Cover(check_src(src, path, line), alt, " ".join(str(meta.get("cover_credit", "")).split()), line)


def section_starts(body: str) -> list[tuple[int, int]]:
    """(first, after) 0-based body lines of each level-2 heading, found by markdown-it (so code
    blocks are skipped; ``after`` also skips a setext underline)."""
    return [
        (tok.map[0], tok.map[1])
        for tok in parser().parse(body)
        if tok.type == "heading_open" and tok.tag == "h2" and tok.level == 0 and tok.map
    ]


def load_newsletter(path: Path, tz: ZoneInfo) -> Newsletter:
    """Parse one newsletter file. Raises InvalidInput (file:line, cause and fix) on bad content."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise NotFound("newsletter file %(path)s does not exist: check the path or "
                       "[content] newsletters_dir", path=path) from None
    return parse_newsletter(raw_bytes, path, tz)


def decode_source(raw_bytes: bytes, path: Path) -> str:
    """The file's text with LF line ends; InvalidInput when it is not UTF-8."""
    try:
        return raw_bytes.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise InvalidInput("%(path)s: not UTF-8 (%(reason)s at byte %(start)s): save the "
                           "file as UTF-8", path=path, reason=exc.reason, start=exc.start) from None


def parse_newsletter(raw_bytes: bytes, path: Path, tz: ZoneInfo) -> Newsletter:
    """Parse a newsletter from its bytes (``path`` names it in messages and becomes its source_path)."""
    path = Path(path)
    source = decode_source(raw_bytes, path)
    front, body_lines, body_offset = split_front_matter(path, source)
    fm_offset = next(i for i, line in enumerate(source.split("\n")) if line.strip() == FENCE) + 1
    try:
        meta = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = fm_offset + int(m.group(1)) if m else fm_offset
        raise _fail(path, line, Text("front matter is not valid TOML (%(exc)s)", exc=exc),
                    Text("fix the syntax there; strings need quotes, e.g. title = \"Samen verder\"")) from None

    known = {"slug", "title", "subject", "preheader", "send_at", "language", "themes", *COVER_KEYS}
    for key in meta:
        if key not in known:
            raise _fail(path, _key_line(front, key, fm_offset), Text("unknown front matter key %(key)s", key=repr(key)),
                        Text("known keys: %(keys)s", keys=", ".join(sorted(known))))
    for key in ("slug", "title", "subject"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise _fail(path, fm_offset, Text("front matter lacks %(key)s", key=key), Text("add %(key)s = \"...\" between the +++ lines", key=key))
    slug = meta["slug"].strip()
    if not SLUG.match(slug):
        raise _fail(path, _key_line(front, "slug", fm_offset), Text("slug %(slug)s is not a slug", slug=repr(slug)),
                    Text("use lower-case letters, digits and hyphens, e.g. 2026-11-samen-verder"))
    language = str(meta.get("language", "nl"))
    if language not in LANGUAGES:
        raise _fail(path, _key_line(front, "language", fm_offset), Text("language %(language)s is not supported", language=repr(language)),
                    Text("use nl or en"))
    preheader = meta.get("preheader", "")
    if not isinstance(preheader, str):
        raise _fail(path, _key_line(front, "preheader", fm_offset), Text("preheader must be text"), Text("write preheader = \"...\""))
    send_at = _send_at(meta.get("send_at"), tz, path, _key_line(front, "send_at", fm_offset))
    declared = _themes(meta.get("themes"), path, front, fm_offset)
    by_slug = {t.slug: t for t in declared}

    cover = _cover(meta, path, front, fm_offset)
    figures = find_images(parser().parse("\n".join(body_lines)), path, body_offset + 1)
    image_label = i18n.gettext(language, "email", "Image")

    body = "\n".join(body_lines)
    outro_markdown = ""
    for i, body_line in enumerate(body_lines):
        if OUTRO_MARKER.match(body_line):
            outro_markdown = "\n".join(body_lines[i + 1:]).strip()
            body_lines = body_lines[:i]
            body = "\n".join(body_lines)
            break

    starts = section_starts(body)
    intro_markdown = "\n".join(body_lines[: starts[0][0] if starts else len(body_lines)]).strip()
    sections: list[Section] = []
    used: list[str] = []
    for n, (start, after) in enumerate(starts, start=1):
        end = starts[n][0] if n < len(starts) else len(body_lines)
        heading_src = body_lines[start].strip()
        heading_src = re.sub(r"^##\s*", "", heading_src).rstrip("#").strip()
        theme: str | None = None
        mark = THEME_MARK.search(heading_src)
        file_line = body_offset + start + 1
        if mark:
            heading_src = heading_src[: mark.start()].strip()
            theme = mark.group(1) or None
            if theme is not None and theme not in by_slug:
                listed = ", ".join(by_slug) or "none are declared"
                raise _fail(path, file_line, Text("unknown theme %(theme)s in section heading", theme=repr(theme)),
                            Text("use one of the themes in the front matter (%(listed)s) or add a [[themes]] entry for it", listed=listed))
        heading = inline_text(heading_src)
        if not heading:
            raise _fail(path, file_line, Text("section heading is empty"), Text("write a heading after '## '"))
        markdown = "\n".join(body_lines[after:end]).strip()
        if theme and theme not in used:
            used.append(theme)
        sections.append(Section(position=n, heading=heading, markdown=markdown,
                                text=to_text(markdown, image_label=image_label), theme=theme))
    if not sections:
        raise _fail(path, body_offset + 1, Text("the newsletter has no sections"),
                    Text("start each section with a line '## Heading {theme=slug}'"))

    themes = tuple([by_slug[s] for s in used] + [t for t in declared if t.slug not in used])
    return Newsletter(
        slug=slug,
        title=meta["title"].strip(),
        subject=meta["subject"].strip(),
        preheader=preheader.strip(),
        themes=themes,
        sections=tuple(sections),
        send_at=send_at,
        language=language,
        intro_markdown=intro_markdown,
        outro_markdown=outro_markdown,
        source_path=path.resolve(),
        source_sha256=hashlib.sha256(raw_bytes).hexdigest(),
        cover=cover,
        figures=figures,
    )


def newsletter_files(newsletters_dir: Path) -> list[Path]:
    if not Path(newsletters_dir).is_dir():
        raise NotFound(
            "newsletter folder %(newsletters_dir)s does not exist: create it or set "
            "[content] newsletters_dir in config.toml",
            newsletters_dir=newsletters_dir,
        )
    return sorted(p for p in Path(newsletters_dir).glob("*.md") if not p.name.startswith(("_", ".")))


def _sort_key(nl: Newsletter) -> tuple[bool, float, str]:
    return (nl.send_at is None, nl.send_at.timestamp() if nl.send_at else 0.0, nl.slug)


def list_newsletters(newsletters_dir: Path, tz: ZoneInfo) -> list[Newsletter]:
    """All newsletters in a folder, by send_at (those without one last), then slug."""
    found = [load_newsletter(p, tz) for p in newsletter_files(newsletters_dir)]
    seen: dict[str, Path | None] = {}
    for nl in found:
        if nl.slug in seen:
            raise InvalidInput("slug %(slug)s is used by both %(first)s and "
                               "%(second)s: give each issue its own slug", slug=repr(nl.slug), first=seen[nl.slug], second=nl.source_path)
        seen[nl.slug] = nl.source_path
    return sorted(found, key=_sort_key)


def find_newsletter(newsletters_dir: Path, slug: str, tz: ZoneInfo) -> Newsletter:
    """The newsletter with ``slug``; NotFound lists the slugs that exist."""
    direct = Path(newsletters_dir) / f"{slug}.md"
    if direct.is_file():
        nl = load_newsletter(direct, tz)
        if nl.slug == slug:
            return nl
    all_ = list_newsletters(newsletters_dir, tz)
    for nl in all_:
        if nl.slug == slug:
            return nl
    available = ", ".join(nl.slug for nl in all_) or f"none yet in {newsletters_dir}"
    raise NotFound("no newsletter '%(slug)s': available: %(available)s", slug=slug, available=available)


def check_templates_dir(templates_dir: Path) -> Path:
    """The email template folder inside ``templates_dir``; TemplateError with the fix if it is missing."""
    email_dir = Path(templates_dir) / "email"
    if not email_dir.is_dir():
        raise TemplateError(
            "email templates not found in %(email_dir)s: set [content] templates_dir in "
            "config.toml to a folder that holds email/newsletter.mjml (without the key and "
            "without a templates/ folder beside config.toml, the shipped templates apply)",
            email_dir=email_dir,
        )
    return email_dir
