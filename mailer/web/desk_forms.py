"""The editor's form: posted fields -> a Draft, checked field by field (messages in the team member's
language), then written, parsed and compiled exactly as a send would, so a saved file always works.

Errors are keyed by field name (``title``, ``sections-2-body``, ...); ``form`` holds what belongs to
no single field. Nothing is written unless there are none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..compose.draft import COVER_FIELDS, Draft, DraftSection, read_draft, slugify, write_draft
from ..compose.model import Newsletter, Theme
from ..compose.source import parse_newsletter
from ..compose.render import compile_newsletter
from ..errors import InvalidInput, MailerError, TemplateError
from ..schedule.localtime import parse_local
from .desk_files import MAX_BYTES
from .desk_i18n import _, error_text

NEW_THEME = "__new__"
MAX_SECTIONS = 40
MAX_LINE = 300        # title, subject, preheader, heading, theme name
LANGUAGES = ("nl", "en")


@dataclass
class Checked:
    draft: Draft
    errors: dict[str, str] = field(default_factory=dict)
    text: str = ""                       # the file's new text (when there are no errors)
    newsletter: Newsletter | None = None  # the parsed result (when there are no errors)


def _field(form: Any, name: str, limit: int = MAX_BYTES) -> str:
    value = form.get(name, "")
    return str(value)[:limit] if value is not None else ""


def send_at_from_input(value: str) -> str:
    """A datetime-local value ("2027-03-11T09:00") as front matter writes it ("2027-03-11 09:00")."""
    return " ".join(value.replace("T", " ").split())


def sections_from_form(form: Any) -> list[dict[str, str]]:
    try:
        count = min(max(int(form.get("section_count", "0")), 0), MAX_SECTIONS + 1)
    except ValueError:
        count = 0
    out = []
    for i in range(count):
        out.append({key: _field(form, f"sections-{i}-{key}") for key in ("heading", "theme", "newtheme", "body")})
    return out


def apply_action(sections: list[dict[str, str]], action: str) -> list[dict[str, str]]:
    """Add, remove or move a section (the editor's buttons; the page is shown again, not saved)."""
    verb, _sep, arg = action.partition(":")
    try:
        i = int(arg) if arg else -1
    except ValueError:
        return sections
    out = list(sections)
    if verb == "add" and len(out) < MAX_SECTIONS:
        out.append({"heading": "", "theme": "", "newtheme": "", "body": ""})
    elif verb == "remove" and 0 <= i < len(out) and len(out) > 1:
        out.pop(i)
    elif verb == "up" and 0 < i < len(out):
        out[i - 1], out[i] = out[i], out[i - 1]
    elif verb == "down" and 0 <= i < len(out) - 1:
        out[i], out[i + 1] = out[i + 1], out[i]
    return out


def draft_from_form(form: Any, slug: str, declared: tuple[Theme, ...], known: dict[str, str],
                    sections: list[dict[str, str]]) -> tuple[Draft, dict[str, str]]:
    """The draft the form describes, and the errors of single fields."""
    errors: dict[str, str] = {}
    title, subject = _field(form, "title", 2000), _field(form, "subject", 2000)
    preheader, language = _field(form, "preheader", 2000), _field(form, "language", 10) or "nl"
    send_at = send_at_from_input(_field(form, "send_at", 100))
    for key, value in (("title", title), ("subject", subject)):
        if not value.strip():
            errors[key] = _("Fill this in.")
    for key, value in (("title", title), ("subject", subject), ("preheader", preheader)):
        if len(value) > MAX_LINE:
            errors[key] = _("Too long: at most %(n)s characters.", n=MAX_LINE)
    if language not in LANGUAGES:
        errors["language"] = _("Choose Dutch or English.")
        language = "nl"
    if send_at:
        try:
            parse_local(send_at, ZoneInfo("UTC"))
        except InvalidInput:
            errors["send_at"] = _("Not a time: use a date and a time, e.g. 2027-03-11 09:00.")
    if not sections:
        errors["form"] = _("An issue needs at least one section.")
    if len(sections) > MAX_SECTIONS:
        errors["form"] = _("At most %(n)s sections.", n=MAX_SECTIONS)
        sections = sections[:MAX_SECTIONS]

    themes = list(declared)
    names = dict(known)
    names.update({t.slug: t.name for t in declared})
    built: list[DraftSection] = []
    for i, s in enumerate(sections):
        prefix = f"sections-{i}-"
        heading = " ".join(s["heading"].split())
        if not heading:
            errors[prefix + "heading"] = _("Give the section a heading.")
        elif len(heading) > MAX_LINE:
            errors[prefix + "heading"] = _("Too long: at most %(n)s characters.", n=MAX_LINE)
        elif "{theme" in heading.replace(" ", ""):
            errors[prefix + "heading"] = _("Choose the theme in the list, not in the heading.")
        theme = s["theme"].strip()
        if theme == NEW_THEME:
            name = " ".join(s["newtheme"].split())
            theme = slugify(name)
            if not name or not theme:
                errors[prefix + "theme"] = _("Name the new theme (letters or digits).")
                theme = ""
            elif len(name) > MAX_LINE:
                errors[prefix + "theme"] = _("Too long: at most %(n)s characters.", n=MAX_LINE)
                theme = ""
            else:
                names.setdefault(theme, name)
        elif theme and theme not in names:
            errors[prefix + "theme"] = _("Unknown theme %(theme)s: choose one from the list or add a new one.",
                                         theme=theme)
            theme = ""
        if theme and all(t.slug != theme for t in themes):
            themes.append(Theme(theme, names[theme]))
        built.append(DraftSection(heading, theme, s["body"]))
    cover, cover_alt, cover_credit = (" ".join(_field(form, key, 2000).split()) for key in COVER_FIELDS)
    for key, value in (("cover", cover), ("cover_alt", cover_alt), ("cover_credit", cover_credit)):
        if len(value) > MAX_LINE:
            errors[key] = _("Too long: at most %(n)s characters.", n=MAX_LINE)
    if cover and not cover_alt:
        errors["cover_alt"] = _("Describe the picture for readers who cannot see it: the alt text is required.")
    draft = Draft(slug=slug, title=title, subject=subject, preheader=preheader, send_at=send_at,
                  language=language, cover=cover, cover_alt=cover_alt, cover_credit=cover_credit,
                  themes=tuple(themes), intro=_field(form, "intro"),
                  sections=tuple(built), outro=_field(form, "outro"))
    return draft.normalised(), errors


def _round_trip_errors(draft: Draft, text: str) -> dict[str, str]:
    """Where the written file would read back differently (a "## " line in a body starts a section)."""
    try:
        again = read_draft(text)
    except InvalidInput as exc:
        return {"form": _("The file would not be readable: %(error)s", error=str(exc))}
    if again == draft:
        return {}
    splits = _("A line starting with \"## \" starts a new section: use \"### \" for a subheading, "
               "or add a section.")
    marker = _("The line <!-- afsluiting --> may appear only once, where the closing text starts.")
    if "<!--" in draft.intro and again.intro != draft.intro:
        return {"intro": marker}
    if again.intro != draft.intro:
        return {"intro": splits}
    for i, s in enumerate(draft.sections):
        if i >= len(again.sections) or again.sections[i] != s:
            return {f"sections-{i}-body": marker if "<!--" in s.body else splits}
    return {"outro": marker}


def check(draft: Draft, errors: dict[str, str], templates_dir: Path, tz: ZoneInfo, path: Path,
          **compile_args: Any) -> Checked:
    """Write, read back, parse and compile the draft; every problem lands in ``errors``."""
    result = Checked(draft, dict(errors))
    text = write_draft(draft)
    if len(text.encode("utf-8")) > MAX_BYTES:
        result.errors["form"] = _("The issue is too long: at most %(n)s KB.", n=MAX_BYTES // 1024)
        return result
    for key, message in _round_trip_errors(draft, text).items():
        result.errors.setdefault(key, message)
    if result.errors:
        return result
    return check_source(text, templates_dir, tz, path, result, **compile_args)


def check_source(text: str, templates_dir: Path, tz: ZoneInfo, path: Path, result: Checked | None = None,
                 key: str = "form", **compile_args: Any) -> Checked:
    """Parse and compile a whole file's text as a send would."""
    result = result or Checked(Draft(slug=""))
    data = text.encode("utf-8")
    if len(data) > MAX_BYTES:
        result.errors[key] = _("The issue is too long: at most %(n)s KB.", n=MAX_BYTES // 1024)
        return result
    try:
        nl = parse_newsletter(data, path, tz)
    except MailerError as exc:
        result.errors[key] = _("The file would not be valid: %(error)s", error=without_path(error_text(exc), path))
        return result
    try:
        compile_newsletter(nl, templates_dir, language=nl.language, **compile_args)
    except TemplateError as exc:
        result.errors[key] = _("The mail could not be laid out (MJML): %(error)s", error=str(exc))
        return result
    result.text, result.newsletter = text, nl
    if not result.draft.slug:
        try:
            result.draft = read_draft(text)
        except InvalidInput:
            pass
    return result


def without_path(message: str, path: Path) -> str:
    """The parser's message without the server's folder ("line 12: ...")."""
    prefix = f"{path}:"
    if message.startswith(prefix):
        return _("line %(rest)s", rest=message[len(prefix):])
    return message.replace(str(path), path.name)


def new_issue_draft(slug: str, title: str, language: str, send_at: str) -> Draft:
    """What "Nieuw nummer" starts from: the title as subject, one empty section."""
    return replace(Draft(slug=slug, title=title, subject=title, language=language, send_at=send_at),
                   sections=(DraftSection(_("First section")),))
