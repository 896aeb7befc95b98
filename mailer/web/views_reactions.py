"""The reactions list, the reading pane, the team's actions on reactions, and downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Response, abort, flash, g, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue

from .. import triage
from ..errors import MailerError, NotFound
from . import auth
from .html import safe_filename, sanitise
from .team import _, bp, db, parse_ids, render, safe_next


def _actor() -> str:
    return str(g.user.name)


def _list_url(filters: triage.Filters) -> str:
    params = filters.as_params()
    return url_for("team.reactions") + ("?" + urlencode(params) if params else "")


def _detail_url(reaction_id: int, filters: triage.Filters) -> str:
    params = filters.as_params()
    return url_for("team.reaction", reaction_id=reaction_id) + ("?" + urlencode(params) if params else "")


@bp.route("/")
def reactions() -> str:
    filters = triage.Filters.from_mapping(request.args)
    try:
        page_no = int(request.args.get("page", "1"))
    except ValueError:
        page_no = 1
    page = triage.list_reactions(db(), filters, page=page_no)
    return render("reactions.html", page=page, f=filters, list_url=_list_url(filters),
                  detail_url=lambda rid: _detail_url(rid, filters), users=auth.user_names(db()),
                  nl_themes=triage.themes_by_newsletter(db()), newsletters=triage.newsletter_choices(db()),
                  statuses=triage.STATUSES)


@bp.route("/reactions/<id:reaction_id>")
def reaction(reaction_id: int) -> Response | str:
    filters = triage.Filters.from_mapping(request.args)
    try:
        detail = triage.get_reaction(db(), reaction_id)
    except NotFound:
        return Response(render("error.html", message=_("This reaction does not exist (any more).")), status=404)
    newer, older = triage.neighbours(db(), filters, reaction_id)
    after_done = older or newer
    html = sanitise(detail.html_body) if detail.html_body else ""
    return render(
        "reaction.html", r=detail, s=detail.summary, f=filters, html=html, list_url=_list_url(filters),
        newer_url=_detail_url(newer, filters) if newer else "",
        older_url=_detail_url(older, filters) if older else "",
        after_done_url=_detail_url(after_done, filters) if after_done else _list_url(filters),
        here_url=_detail_url(reaction_id, filters), detail_url=lambda rid: _detail_url(rid, filters),
        users=auth.user_names(db()), nl_themes=triage.themes_by_newsletter(db()),
        newsletters=triage.newsletter_choices(db()), statuses=triage.STATUSES,
    )


def _back(default: str) -> ResponseReturnValue:
    return redirect(safe_next(request.form.get("next"), default))


def _apply(ids: list[int], action: str) -> int:
    """One team action on reactions, from a form; returns how many reactions changed."""
    form = request.form
    if action.startswith("status:"):
        return triage.set_status(db(), ids, action.partition(":")[2], _actor())
    if action == "status":
        return triage.set_status(db(), ids, form.get("status", ""), _actor())
    if action == "refile":
        slug, _sep, theme = form.get("target", "").partition("|")
        return triage.refile(db(), ids, slug, theme or None, _actor())
    if action == "tag":
        if not form.get("tag", "").strip():
            raise MailerError(_("Type a tag first."))
        return triage.add_tag(db(), ids, form.get("tag", ""), _actor())
    if action == "untag":
        return triage.remove_tag(db(), ids, form.get("tag", ""), _actor())
    if action == "assign":
        return triage.assign(db(), ids, form.get("assignee", ""), _actor())
    raise MailerError(_("Choose an action first."))


@bp.route("/reactions/<id:reaction_id>/<action>", methods=["POST"])
def act(reaction_id: int, action: str) -> ResponseReturnValue:
    """status | refile | tag | untag | assign | note, on one reaction."""
    here = url_for("team.reaction", reaction_id=reaction_id)
    try:
        if action == "note":
            if not request.form.get("body", "").strip():
                raise MailerError(_("Type a note first."))
            triage.add_note(db(), reaction_id, request.form.get("body", ""), _actor())
        elif action in ("status", "refile", "tag", "untag", "assign"):
            _apply([reaction_id], action)
        else:
            abort(404)
    except MailerError as exc:
        flash(_(str(exc)), "error")
        return _back(here)
    flash(_("Saved."), "ok")
    return _back(here)


@bp.route("/bulk", methods=["POST"])
def bulk() -> ResponseReturnValue:
    """The same actions on every ticked reaction of the list."""
    back = url_for("team.reactions")
    ids = parse_ids(request.form.getlist("ids"))
    if ids is None:
        abort(400)
    if not ids:
        flash(_("No reactions selected: tick one or more first."), "error")
        return _back(back)
    try:
        changed = _apply(ids, request.form.get("action", ""))
    except MailerError as exc:
        flash(_(str(exc)), "error")
        return _back(back)
    flash(_("%(n)s reaction(s) changed.", n=changed), "ok")
    return _back(back)


def _cell(value: object) -> object:
    """Keep spreadsheet programs from running a reader's text as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


EXPORT_COLUMNS = ("id", "received_at", "kind", "status", "newsletter", "theme", "from_name", "from_address",
                  "subject", "attribution", "theme_attribution", "confidence", "assignee", "tags", "reply_text")


@bp.route("/export.csv")
def export_csv() -> Response:
    """The current view (every page of it) as CSV, UTF-8 with a BOM so spreadsheets read accents."""
    filters = triage.Filters.from_mapping(request.args)
    conn = db()
    rows = list(triage.iter_view(conn, filters))  # read now: the request's connection closes after return

    def generate() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow([_cell(row[c]) for c in EXPORT_COLUMNS])
            if buf.tell() > 65536:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="reacties-{stamp}.csv"'})


@bp.route("/reactions/<id:reaction_id>/raw")
def raw(reaction_id: int) -> Response:
    """The raw message as plain text (never rendered as HTML)."""
    try:
        data = triage.raw_message(db(), reaction_id)
    except NotFound:
        abort(404)
    return Response(data.decode("utf-8", errors="replace"), mimetype="text/plain",
                    headers={"Content-Disposition": "inline"})


@bp.route("/reactions/<id:reaction_id>.eml")
def eml(reaction_id: int) -> Response:
    """The raw message, byte for byte, as a download to open in a mail program."""
    try:
        data = triage.raw_message(db(), reaction_id)
    except NotFound:
        abort(404)
    return send_file(io.BytesIO(data), mimetype="message/rfc822", as_attachment=True,
                     download_name=f"reactie-{reaction_id}.eml")


@bp.route("/attachments/<id:attachment_id>")
def attachment(attachment_id: int) -> Response:
    """An attachment, only ever as a download with a content type no browser renders."""
    try:
        att = triage.attachment(db(), attachment_id)
    except NotFound:
        abort(404)
    name = safe_filename(att.filename, f"bijlage-{att.id}")
    return send_file(io.BytesIO(att.data), mimetype="application/octet-stream", as_attachment=True,
                     download_name=name)
