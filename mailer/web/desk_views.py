"""The CXO's desk, writing: the list of issues, "Nieuw nummer", the editor with its live preview.

Routes live on the team blueprint (log-in, CSRF and CSP come from there). The editor reads and
writes the Markdown file in newsletters/; see desk_files for the conflict check and desk_forms
for validation. Sending lives in desk_send_views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Response, current_app, flash, g, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..stores import newsletters
from ..compose.draft import Draft, is_slug, slugify, write_draft
from ..compose.quotes import LEAVE_OUT, QuoteNotApproved
from ..quotes import approved_for, offered_quotes
from ..errors import InvalidInput, MailerError, NotFound
from ..runtime import Runtime
from . import desk_files, desk_forms, desk_preview
from .desk_i18n import _, error_text
from .team import NEWSLETTER_STATES, PREVIEW_CSP, bp, db, render, runtime

RESERVED = {"new", "preview"}          # names of the desk's own pages
LOCKED = ("sending", "sent")           # states in which the file no longer changes
GROUPS = (("draft", ("draft",)), ("scheduled", ("scheduled",)), ("attention", ("failed", "missed", "paused")),
          ("sending", ("sending",)), ("sent", ("sent",)))


@bp.before_app_request
def _limit_desk_posts() -> None:
    """A desk form is at most a newsletter's text and some fields: refuse bigger bodies (413) before
    they are read (app-wide hook: it runs before the team guard reads the form for its CSRF check)."""
    if (request.endpoint or "").startswith("team.desk"):
        request.max_content_length = 2 * desk_files.MAX_BYTES + 64 * 1024


def group_titles() -> dict[str, str]:
    return {"draft": _("Drafts"), "scheduled": _("Scheduled"), "attention": _("Needs attention"),
            "sending": _("Sending"), "sent": _("Sent")}


def state_label(status: str) -> str:
    return _(NEWSLETTER_STATES.get(status) or status)


def desk_runtime() -> Runtime:
    """A Runtime on this request's own database connection (the web serves many threads)."""
    return Runtime(runtime().config, _db=db())


def page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render(template, _=_, state_label=state_label, **context), status=status, mimetype="text/html")


def not_found() -> Response:
    return page("error.html", status=404, message=_("This newsletter file does not exist."))


def _previews() -> desk_preview.PreviewStore:
    store: desk_preview.PreviewStore = current_app.extensions.setdefault("desk_previews", desk_preview.PreviewStore())
    return store


@dataclass(frozen=True)
class Item:
    name: str | None        # file name (None: only in the database, the file is gone)
    slug: str
    title: str
    status: str
    send_at: datetime | None
    problem: str
    sent: int


def known_themes(files: list[desk_files.IssueFile]) -> dict[str, str]:
    """Every theme the desk can offer: the database's and those declared in any newsletter file."""
    from ..stores.newsletters import theme_choices

    found = dict(theme_choices(db()))
    for f in files:
        if f.draft is not None:
            for t in f.draft.themes:
                found.setdefault(t.slug, t.name)
    return dict(sorted(found.items(), key=lambda kv: kv[1].lower()))


@bp.route("/desk")
def desk() -> Response:
    cfg = runtime().config
    try:
        files = desk_files.list_files(cfg.newsletters_dir, cfg.schedule.tz)
        folder_problem = ""
    except NotFound:
        files, folder_problem = [], _("The newsletter folder %(folder)s does not exist.", folder=str(cfg.newsletters_dir))
    from .desk_actions import all_delivery_counts
    from .desk_deliveries import trouble_note

    counts = all_delivery_counts(desk_runtime())
    rows = {r.slug: r for r in newsletters.list_all(db())}
    notes = {r.slug: trouble_note(counts.get(r.id, {})) for r in rows.values()}
    items: list[Item] = []
    for f in files:
        row = rows.pop(f.slug, None)
        title = f.newsletter.title if f.newsletter else (f.draft.title if f.draft else "") or f.name
        file_time = f.newsletter.send_at if f.newsletter else None
        items.append(Item(f.name, f.slug, title, row.status if row else "draft",
                          (row.send_at or row.started_at) if row else file_time, f.problem,
                          counts.get(row.id, {}).get("sent", 0) if row else 0))
    for row in rows.values():
        items.append(Item(None, row.slug, row.title, row.status, row.send_at or row.started_at, "",
                          counts.get(row.id, {}).get("sent", 0)))
    far = datetime.max.replace(tzinfo=timezone.utc)
    groups = []
    for key, states in GROUPS:
        members = sorted((i for i in items if i.status in states),
                         key=lambda i: (i.send_at or far, i.slug), reverse=key == "sent")
        if members:
            groups.append((key, group_titles()[key], members))
    return page("desk/list.html", groups=groups, folder_problem=folder_problem, notes=notes)


# -- a new issue ------------------------------------------------------------------------------------

@bp.route("/desk/new", methods=["GET", "POST"])
def desk_new() -> ResponseReturnValue:
    cfg = runtime().config
    values = {"title": "", "slug": "", "send_at": "", "language": cfg.content.language}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: str(request.form.get(k, ""))[:300] for k in values}
        title = " ".join(values["title"].split())
        send_at = desk_forms.send_at_from_input(values["send_at"])
        if not title:
            errors["title"] = _("Fill this in.")
        if send_at:
            try:
                datetime.strptime(send_at, "%Y-%m-%d %H:%M")
            except ValueError:
                errors["send_at"] = _("Not a time: use a date and a time, e.g. 2027-03-11 09:00.")
                send_at = ""
        month = send_at[:7] if send_at else datetime.now(cfg.schedule.tz).strftime("%Y-%m")
        slug = values["slug"].strip() or (f"{month}-{slugify(title)}" if slugify(title) else "")
        if "slug" not in errors and title:
            if not is_slug(slug) or slug in RESERVED:
                errors["slug"] = _("Use lower-case letters, digits and hyphens, e.g. 2027-03-publieke-zaak.")
            elif newsletters.find(db(), slug) is not None:
                errors["slug"] = _("An issue with this name exists already: choose another.")
        language = values["language"] if values["language"] in desk_forms.LANGUAGES else "nl"
        if not errors:
            draft = desk_forms.new_issue_draft(slug, title, language, send_at)
            try:
                desk_files.create_file(cfg.newsletters_dir, slug, write_draft(draft))
            except desk_files.FileExists:
                errors["slug"] = _("An issue with this name exists already: choose another.")
            except (NotFound, OSError) as exc:
                errors["form"] = _("The file could not be written: %(error)s", error=str(exc))
            else:
                flash(_("New issue created: %(file)s", file=slug + ".md"), "ok")
                return redirect(url_for("team.desk_edit", name=slug))
        values["slug"] = slug if errors.get("slug") is None else values["slug"]
    return page("desk/new.html", status=400 if errors else 200, values=values, errors=errors,
                tz=cfg.schedule.timezone)


# -- the editor ---------------------------------------------------------------------------------------

def _compile_args() -> dict[str, Any]:
    cfg = runtime().config
    # Checking a draft does not need its quotes approved yet; the preview and the send do.
    return {"organisation": cfg.sender.organisation or cfg.sender.from_name, "list_address": cfg.sender.from_address,
            "missing_quotes": LEAVE_OUT}


def _row_status(slug: str) -> str:
    row = newsletters.find(db(), slug)
    return row.status if row else "draft"


def _editor(f: desk_files.IssueFile, draft: Draft | None, *, errors: dict[str, str] | None = None,
            sha: str | None = None, source: str | None = None, mode: str = "form", status: int = 200,
            preview_url: str = "", known: dict[str, str] | None = None) -> Response:
    cfg = runtime().config
    if known is None:
        try:
            known = known_themes(desk_files.list_files(cfg.newsletters_dir, cfg.schedule.tz))
        except NotFound:
            known = {}
    if draft is not None:
        for t in draft.themes:
            known.setdefault(t.slug, t.name)
    if not preview_url and f.newsletter is not None:
        try:
            rendered = desk_preview.render(cfg, f.newsletter, quotes=approved_for(db(), f.newsletter))
            preview_url = url_for("team.desk_preview_frame", token=_previews().put(g.user.id, rendered.html))
            preview_text = rendered.text
        except QuoteNotApproved as exc:
            preview_text = ""
            errors = {"form": error_text(exc), **(errors or {})}
        except MailerError:
            preview_text = ""
    else:
        preview_text = ""
    state = _row_status(f.slug)
    themes = draft.themes if draft is not None else (f.newsletter.themes if f.newsletter is not None else ())
    return page("desk/edit.html", status=status, issue=f, draft=draft, errors=errors or {}, sha=sha or f.sha256,
                offered=offered_quotes(db(), [t.slug for t in themes]),
                source=f.source if source is None else source, mode=mode, known=known,
                preview_url=preview_url, preview_text=preview_text, state=state, locked=state in LOCKED,
                new_theme=desk_forms.NEW_THEME, tz=cfg.schedule.timezone)


def _open(name: str) -> desk_files.IssueFile | None:
    cfg = runtime().config
    try:
        return desk_files.open_file(cfg.newsletters_dir, name, cfg.schedule.tz)
    except NotFound:
        return None


@bp.route("/desk/<name>", methods=["GET"])
def desk_edit(name: str) -> Response:
    f = _open(name)
    if f is None:
        return not_found()
    wanted = request.args.get("mode")
    # A file that does not parse opens as text: the form could not show all of it faithfully.
    mode = "source" if wanted == "source" or f.draft is None or (f.problem and wanted != "form") else "form"
    problem = _("The file cannot be read: %(error)s", error=desk_forms.without_path(f.problem, f.path))
    errors = {("source" if mode == "source" else "form"): problem} if f.problem else {}
    return _editor(f, f.draft, errors=errors, mode=mode)


def _posted(f: desk_files.IssueFile, known: dict[str, str]) -> tuple[str, Draft | None, dict[str, str], str]:
    """(mode, draft, field errors, source text) from the posted editor form."""
    form = request.form
    if form.get("mode") == "source":
        text = str(form.get("source", ""))[: desk_files.MAX_BYTES + 1].replace("\r\n", "\n")
        return "source", None, {}, text
    sections = desk_forms.sections_from_form(form)
    action = str(form.get("action", "save"))
    if action != "save":
        sections = desk_forms.apply_action(sections, action)
    declared = f.draft.themes if f.draft is not None else ()
    draft, errors = desk_forms.draft_from_form(form, f.slug, declared, known, sections)
    return "form", draft, errors, ""


def _check_posted(f: desk_files.IssueFile, mode: str, draft: Draft | None, errors: dict[str, str],
                  text: str) -> desk_forms.Checked:
    cfg = runtime().config
    if mode == "source":
        checked = desk_forms.check_source(text, cfg.templates_dir, cfg.schedule.tz, f.path, key="source",
                                          **_compile_args())
        if not checked.errors and checked.newsletter is not None and f.newsletter is not None \
                and checked.newsletter.slug != f.newsletter.slug:
            checked.errors["source"] = _("The slug cannot change here: it names the issue in the database "
                                         "and in links. Keep slug = \"%(slug)s\".", slug=f.newsletter.slug)
        return checked
    assert draft is not None
    return desk_forms.check(draft, errors, cfg.templates_dir, cfg.schedule.tz, f.path, **_compile_args())


@bp.route("/desk/<name>", methods=["POST"])
def desk_save(name: str) -> ResponseReturnValue:
    f = _open(name)
    if f is None:
        return not_found()
    cfg = runtime().config
    known = known_themes(desk_files.list_files(cfg.newsletters_dir, cfg.schedule.tz))
    mode, draft, errors, text = _posted(f, known)
    sha = str(request.form.get("sha256", ""))
    if mode == "form" and str(request.form.get("action", "save")) != "save":
        return _editor(f, draft, sha=sha, mode=mode, known=known)   # a section added, removed or moved
    if _row_status(f.slug) in LOCKED:
        return _editor(f, draft, sha=sha, source=text or None, mode=mode, status=409, known=known,
                       errors={"form": _("This issue has gone out: its file can no longer be changed here.")})
    checked = _check_posted(f, mode, draft, errors, text)
    if checked.errors:
        marked = len([k for k in checked.errors if k != "form"])
        if marked and "form" not in checked.errors:
            checked.errors["form"] = _("Not saved: correct the marked fields first (%(n)s).", n=marked)
        return _editor(f, draft, errors=checked.errors, sha=sha, source=text or None, mode=mode, status=400,
                       known=known)
    try:
        desk_files.write_file(cfg.newsletters_dir, name, checked.text, sha)
    except desk_files.FileChanged:
        message = _("The file was changed on disk after you opened it (in another editor, or by git). "
                    "Nothing was saved. Copy your changes, open the current version and add them again.")
        return _editor(f, draft, errors={"form": message}, sha=sha, source=text or None, mode=mode, status=409,
                       known=known)
    except (InvalidInput, OSError) as exc:
        return _editor(f, draft, errors={"form": _("The file could not be written: %(error)s", error=str(exc))},
                       sha=sha, source=text or None, mode=mode, status=400, known=known)
    flash(_("Saved to %(file)s.", file=str(f.path)), "ok")
    return redirect(url_for("team.desk_edit", name=name, mode="source" if mode == "source" else None))


@bp.route("/desk/<name>/preview", methods=["POST"])
def desk_preview_render(name: str) -> ResponseReturnValue:
    """The live preview of the unsaved form: JSON with a frame URL, the text part and any errors."""
    f = _open(name)
    if f is None:
        return jsonify({"ok": False, "errors": {"form": _("This newsletter file does not exist.")}}), 404
    cfg = runtime().config
    known = known_themes(desk_files.list_files(cfg.newsletters_dir, cfg.schedule.tz))
    mode, draft, errors, text = _posted(f, known)
    checked = _check_posted(f, mode, draft, errors, text)
    if checked.errors or checked.newsletter is None:
        return jsonify({"ok": False, "errors": checked.errors})
    try:
        rendered = desk_preview.render(cfg, checked.newsletter, quotes=approved_for(db(), checked.newsletter))
    except QuoteNotApproved as exc:
        return jsonify({"ok": False, "errors": {"form": error_text(exc)}})
    except MailerError as exc:   # an image file that is missing or not a picture
        return jsonify({"ok": False, "errors": {"form": desk_forms.without_path(error_text(exc), f.path)}})
    token = _previews().put(g.user.id, rendered.html)
    return jsonify({"ok": True, "errors": {}, "url": url_for("team.desk_preview_frame", token=token),
                    "text": rendered.text})


@bp.route("/desk/preview/<token>")
def desk_preview_frame(token: str) -> Response:
    """A rendered preview, shown only inside the editor's sandboxed frames."""
    html = _previews().get(g.user.id, token)
    if html is None:
        return Response(_("This preview has expired: reload the editor."), status=404, mimetype="text/plain")
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = PREVIEW_CSP
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    return resp


from . import desk_deliveries, desk_media, desk_send_views  # noqa: E402,F401  (their routes register on bp too)
