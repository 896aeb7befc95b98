"""Permission to quote in the team UI: the panel on a reaction's page (state, passage asked,
the reader's answers, the form to ask), sending the request, and the bundle download."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .. import quotes
from ..errors import MailerError, NotFound, SmtpUnavailable
from ..stores import quotes as quote_store
from .team import _, bp, db, error_text, runtime, safe_next

# A reaction's quote state as the team reads it (stores.quotes.STATES).
QUOTE_STATES = {"none": "Not asked", "asked": "Asked", "named": "Permission with name",
                "anonymous": "Permission, anonymous", "refused": "Refused", "no_answer": "No answer",
                "superseded": "Replaced by a newer request"}
ANSWER_LABELS = {"named": "yes, with name", "anonymous": "yes, anonymously", "refused": "no"}


@bp.context_processor
def _quote_context() -> dict[str, Any]:
    def quote_panel(reaction_id: int) -> dict[str, Any]:
        """What the reaction page shows about permission to quote."""
        requests = quote_store.requests_of(db(), reaction_id)
        latest = requests[0] if requests else None
        try:
            passage = latest.passage if latest is not None else quotes.default_passage(db(), reaction_id)
        except NotFound:
            passage = ""
        return {"state": latest.state if latest is not None else "none", "latest": latest, "requests": requests,
                "log": quote_store.consents_of(db(), latest.id) if latest is not None else [],
                "passage": passage}

    return {"quote_panel": quote_panel, "quote_state_label": lambda s: _(QUOTE_STATES.get(s) or s),
            "answer_label": lambda a: _(ANSWER_LABELS.get(a) or a)}


@bp.route("/reactions/<id:reaction_id>/ask-quote", methods=["POST"])
def ask_quote(reaction_id: int) -> ResponseReturnValue:
    """Mail the reader the passage with the links to answer (yes with name, anonymous, no)."""
    here = safe_next(request.form.get("next"), url_for("team.reaction", reaction_id=reaction_id))
    rt = runtime()
    try:
        req = quotes.ask(rt.config, db(), rt.key, reaction_id, request.form.get("passage", ""), str(g.user.name))
    except SmtpUnavailable as exc:
        flash(_("Not sent: %(why)s. The request is kept; send it again later.", why=error_text(exc)), "error")
        return redirect(here + "#quote")
    except MailerError as exc:
        flash(error_text(exc), "error")
        return redirect(here + "#quote")
    flash(_("Permission to quote asked of %(to)s.", to=req.to_address), "ok")
    return redirect(here + "#quote")


@bp.route("/quotes/<id:request_id>/resend", methods=["POST"])
def resend_quote(request_id: int) -> ResponseReturnValue:
    back = safe_next(request.form.get("next"), url_for("team.reactions"))
    rt = runtime()
    try:
        req = quotes.resend(rt.config, db(), rt.key, request_id)
    except MailerError as exc:
        flash(_("Not sent: %(why)s. The request is kept; send it again later.", why=error_text(exc)), "error")
        return redirect(back + "#quote")
    flash(_("Permission to quote asked of %(to)s.", to=req.to_address), "ok")
    return redirect(back + "#quote")


@bp.route("/bundle.<fmt>")
def bundle(fmt: str) -> Response:
    """The approved quotes of a theme (?theme=, optionally ?newsletter=) as .docx or .md."""
    if fmt not in ("docx", "md"):
        abort(404)
    theme = request.args.get("theme", "")
    newsletter = request.args.get("newsletter") or None
    cfg = runtime().config
    try:
        found = quotes.collect(db(), theme, newsletter)
    except NotFound as exc:
        return Response(error_text(exc), status=404, mimetype="text/plain")
    lang = str(g.get("team_lang") or cfg.content.language)
    name = f"bundel-{theme}" + (f"-{newsletter}" if newsletter else "")
    if fmt == "docx":
        data = quotes.bundle_docx(found, lang, cfg.schedule.tz)
        mimetype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    else:
        data = quotes.bundle_markdown(found, lang, cfg.schedule.tz).encode("utf-8")
        mimetype = "text/markdown; charset=utf-8"
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"',
                             "X-Quotes-Left-Out": str(found.left_out)})
