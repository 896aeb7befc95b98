"""The reactions list, the reading pane and the team's actions on reactions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from .. import triage
from ..errors import MailerError, NotFound, SmtpUnavailable
from . import auth
from .html import sanitise
from .team import KIND_LABELS, STATUS_LABELS, _, bp, db, error_text, parse_ids, render, runtime, safe_next


SUBSCRIBER_STATES = {"active": "subscribed", "pending": "not confirmed yet", "unsubscribed": "unsubscribed",
                     "bounced": "address bounces", "forgotten": "forgotten"}
ORDER_COOKIE = "team_order"  # the user's kept order: newest or oldest first
ORDER_COOKIE_AGE = 400 * 24 * 3600


def _actor() -> str:
    return str(g.user.name)


def current_filters() -> triage.Filters:
    return triage.Filters.from_mapping(request.args, order=request.cookies.get(ORDER_COOKIE, ""))


def _keep_order(resp: Response) -> Response:
    """Remember an order chosen in the query string for the next visits."""
    chosen = request.args.get("order", "")
    if chosen in triage.ORDERS and chosen != request.cookies.get(ORDER_COOKIE):
        resp.set_cookie(ORDER_COOKIE, chosen, max_age=ORDER_COOKIE_AGE, httponly=True, samesite="Lax",
                        secure=request.is_secure, path="/team")
    return resp


@bp.context_processor
def _undo_context() -> dict[str, Any]:
    def undo_offer() -> dict[str, Any] | None:
        """The changes the toast offers to undo (once: the offer goes with the toast)."""
        offer = session.pop("undo", None)
        return offer if isinstance(offer, dict) else None
    return {"undo_offer": undo_offer}


def _list_url(filters: triage.Filters) -> str:
    params = filters.as_params()
    return url_for("team.reactions") + ("?" + urlencode(params) if params else "")


def _detail_url(reaction_id: int, filters: triage.Filters) -> str:
    return _detail_urls(filters)(reaction_id)


def _detail_urls(filters: triage.Filters) -> Callable[[int], str]:
    """Reaction id -> its page's address in this view; the view's part is built once for a list."""
    params = filters.as_params()
    query = "?" + urlencode(params) if params else ""
    stem = url_for("team.reaction", reaction_id=1).removesuffix("1")
    return lambda reaction_id: f"{stem}{int(reaction_id)}{query}"


def _passage(text: str) -> Markup:
    """A search passage with the matched words marked: the reader's text is escaped first, so only
    our own <mark> elements are HTML."""
    out = escape(text)
    return Markup(str(out).replace(triage.HIT_START, "<mark>").replace(triage.HIT_END, "</mark>"))


@bp.route("/")
def reactions() -> Response:
    filters = current_filters()
    try:
        page_no = int(request.args.get("page", "1"))
    except ValueError:
        page_no = 1
    page = triage.list_reactions(db(), filters, page=page_no)
    html = render("reactions.html", page=page, f=filters, list_url=_list_url(filters),
                  detail_url=_detail_urls(filters), users=auth.user_names(db()),
                  nl_themes=triage.themes_by_newsletter(db()), newsletters=triage.newsletter_choices(db()),
                  statuses=triage.STATUSES, open_statuses=triage.OPEN_STATUSES, passage=_passage,
                  kinds=triage.KINDS)
    return _keep_order(Response(html))


def _words(db_names: tuple[dict[str, str], dict[str, str]], e: triage.Event) -> str:
    """One change from the history as a sentence: "door Anna verplaatst van Groeipijn naar ..."."""
    titles, themes = db_names

    def status_label(v: str) -> str:
        return _(STATUS_LABELS.get(v) or v)

    def kind_label(v: str) -> str:
        return _(KIND_LABELS.get(v) or v)

    before, _arrow, after = e.detail.partition(" -> ")
    if e.action == "status":
        return _("set by %(actor)s from %(old)s to %(new)s", actor=e.actor, old=status_label(before),
                 new=status_label(after))
    if e.action == "kind":
        return _("corrected by %(actor)s from %(old)s to %(new)s", actor=e.actor, old=kind_label(before),
                 new=kind_label(after))
    if e.action == "refiled":
        def place(spot: str, other: str) -> str:
            nl, _s, theme = spot.partition("/")
            other_nl = other.partition("/")[0]
            name = themes.get(theme, theme) if theme not in ("", "-") else _("whole issue")
            if nl == "-":
                return _("Not filed")
            return name if nl == other_nl else f"{titles.get(nl, nl)} — {name}"
        return _("moved by %(actor)s from %(old)s to %(new)s", actor=e.actor, old=place(before, after),
                 new=place(after, before))
    if e.action == "tag":
        return _("tag “%(tag)s” added by %(actor)s", tag=e.detail, actor=e.actor)
    if e.action == "untag":
        return _("tag “%(tag)s” removed by %(actor)s", tag=e.detail, actor=e.actor)
    if e.action == "assign":
        if e.detail == "-":
            return _("unassigned by %(actor)s", actor=e.actor)
        return _("assigned by %(actor)s to %(who)s", actor=e.actor, who=e.detail)
    if e.action == "note":
        return _("note added by %(actor)s", actor=e.actor)
    if e.action == "unsubscribed":
        return _("sender unsubscribed by %(actor)s: %(reason)s", actor=e.actor, reason=e.detail)
    if e.action == "answer":
        return _("answered by %(actor)s to %(to)s", actor=e.actor, to=e.detail)
    if e.action == "quote_asked":
        return _("permission to quote asked by %(actor)s of %(to)s", actor=e.actor, to=e.detail)
    if e.action == "undo":
        return _("a change undone by %(actor)s", actor=e.actor)
    return f"{e.actor}: {e.action} {e.detail}"


def _names() -> tuple[dict[str, str], dict[str, str]]:
    titles = dict(triage.newsletter_choices(db(), include_unsent=True))
    themes = {slug: name for pairs in triage.themes_by_newsletter(db()).values() for slug, name in pairs}
    return titles, themes


@bp.route("/reactions/<id:reaction_id>")
def reaction(reaction_id: int) -> Response | str:
    filters = current_filters()
    try:
        detail = triage.get_reaction(db(), reaction_id)
    except NotFound:
        return Response(render("error.html", message=_("This reaction does not exist (any more).")), status=404)
    newer, older = triage.neighbours(db(), filters, reaction_id)
    # After done or archive: the next one in the order the user reads the list.
    after_done = (newer or older) if filters.order == "oldest" else (older or newer)
    html = sanitise(detail.html_body) if detail.html_body else ""
    with_unsent = request.args.get("drafts") == "1"
    names = _names()
    s = detail.summary
    return render(
        "reaction.html", r=detail, s=s, f=filters, html=html, list_url=_list_url(filters),
        newer_url=_detail_url(newer, filters) if newer else "",
        older_url=_detail_url(older, filters) if older else "",
        after_done_url=_detail_url(after_done, filters) if after_done else _list_url(filters),
        here_url=_detail_url(reaction_id, filters), detail_url=_detail_urls(filters),
        users=auth.user_names(db()), nl_themes=triage.themes_by_newsletter(db()),
        newsletters=triage.newsletter_choices(db(), include_unsent=with_unsent, keep=s.newsletter_slug),
        with_unsent=with_unsent, statuses=triage.STATUSES, kinds=triage.KINDS,
        blocks=triage.reflow(detail.reply_text, detail.flowed, detail.delsp),
        history=[(e, _words(names, e)) for e in reversed(detail.events)],
        conversation=triage.conversation(db(), reaction_id),
        wants_off=triage.wants_unsubscribe(detail.reply_text), subscriber_state=lambda st: _(
            SUBSCRIBER_STATES.get(st or "", st or "")),
    )


def _back(default: str) -> ResponseReturnValue:
    return redirect(safe_next(request.form.get("next"), default))


def _apply(ids: list[int], action: str) -> list[int]:
    """One team action on reactions, from a form; returns the history entries of the changes."""
    form = request.form
    if action.startswith("status:"):
        return triage.set_status(db(), ids, action.partition(":")[2], _actor())
    if action == "status":
        return triage.set_status(db(), ids, form.get("status", ""), _actor())
    if action.startswith("kind:"):
        return triage.set_kind(db(), ids, action.partition(":")[2], _actor())
    if action == "kind":
        return triage.set_kind(db(), ids, form.get("kind", ""), _actor())
    if action == "refile":
        slug, _sep, theme = form.get("target", "").partition("|")
        if not slug:
            raise MailerError("Choose where to file it first: nothing was changed.")
        return triage.refile(db(), ids, slug, theme or None, _actor())
    if action == "tag":
        if not form.get("tag", "").strip():
            raise MailerError("Type a tag first.")
        return triage.add_tag(db(), ids, form.get("tag", ""), _actor())
    if action == "untag":
        return triage.remove_tag(db(), ids, form.get("tag", ""), _actor())
    if action == "assign":
        return triage.assign(db(), ids, form.get("assignee", ""), _actor())
    raise MailerError("Choose an action first.")


def _offer_undo(events: list[int], message: str, back: str) -> None:
    """A toast after a change, with "Undo" (the change's history entries travel in the session)."""
    if events:
        session["undo"] = {"events": events[:1000], "next": back}
        flash(message, "undo")
    else:
        flash(_("Nothing changed."), "ok")


def _changed_message(action: str, n: int) -> str:
    if action in ("status:afgehandeld", "status:gearchiveerd"):
        label = _(STATUS_LABELS[action.partition(":")[2]])
        return _("%(n)s reaction(s) marked %(status)s.", n=n, status=label.lower())
    return _("%(n)s reaction(s) changed.", n=n)


@bp.route("/reactions/<id:reaction_id>/<action>", methods=["POST"])
def act(reaction_id: int, action: str) -> ResponseReturnValue:
    """status | kind | refile | tag | untag | assign | note, on one reaction."""
    here = url_for("team.reaction", reaction_id=reaction_id)
    try:
        if action == "note":
            if not request.form.get("body", "").strip():
                raise MailerError("Type a note first.")
            triage.add_note(db(), reaction_id, request.form.get("body", ""), _actor())
            flash(_("Saved."), "ok")
            return _back(here)
        if action not in ("status", "kind", "refile", "tag", "untag", "assign"):
            abort(404)
        events = _apply([reaction_id], action)
    except MailerError as exc:
        flash(error_text(exc), "error")
        return _back(here)
    key = f"status:{request.form.get('status', '')}" if action == "status" else action
    back = request.form.get("undo_next") or request.form.get("next") or here
    _offer_undo(events, _changed_message(key, len(events)) if key.startswith("status:") else _("Saved."),
                safe_next(back, here))
    if key in ("status:afgehandeld", "status:gearchiveerd") and request.form.get("after_done"):
        return redirect(safe_next(request.form.get("after_done"), here))  # done: on to the next one
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
    action = request.form.get("action", "")
    try:
        events = _apply(ids, action)
    except MailerError as exc:
        flash(error_text(exc), "error")
        return _back(back)
    _offer_undo(events, _changed_message(action, len(events)), safe_next(request.form.get("next"), back))
    return _back(back)


@bp.route("/reactions/<id:reaction_id>/answer", methods=["POST"])
def answer(reaction_id: int) -> ResponseReturnValue:
    """Send the team's answer to the reader (plain text, threaded, their words quoted below)."""
    here = safe_next(request.form.get("next"), url_for("team.reaction", reaction_id=reaction_id))
    body = request.form.get("body", "")
    try:
        sent = triage.answer(runtime().config, db(), reaction_id, body, _actor())
    except SmtpUnavailable as exc:
        flash(_("Not sent: %(why)s. The answer is kept below; send it again later.", why=error_text(exc)), "error")
        return redirect(here + "#conversation")
    except MailerError as exc:
        flash(error_text(exc), "error")
        return redirect(here + "#answer")
    flash(_("Answer sent to %(to)s.", to=sent.to_address), "ok")
    return redirect(here + "#conversation")


@bp.route("/answers/<id:answer_id>/resend", methods=["POST"])
def resend(answer_id: int) -> ResponseReturnValue:
    back = safe_next(request.form.get("next"), url_for("team.reactions"))
    try:
        sent = triage.resend(runtime().config, db(), answer_id)
    except MailerError as exc:
        flash(_("Not sent: %(why)s. The answer is kept below; send it again later.", why=error_text(exc)), "error")
        return redirect(back + "#conversation")
    flash(_("Answer sent to %(to)s.", to=sent.to_address), "ok")
    return redirect(back + "#conversation")


@bp.route("/reactions/<id:reaction_id>/unsubscribe", methods=["POST"])
def unsubscribe(reaction_id: int) -> ResponseReturnValue:
    """Take the sender off the list, with a reason for the consent log."""
    here = url_for("team.reaction", reaction_id=reaction_id)
    try:
        changed = triage.unsubscribe(db(), reaction_id, request.form.get("reason", ""), _actor())
    except MailerError as exc:
        flash(error_text(exc), "error")
        return _back(here)
    flash(_("The sender is unsubscribed.") if changed else _("The sender was not on the list any more."), "ok")
    return _back(here)


@bp.route("/reactions/<id:reaction_id>/privacy.json")
def privacy_json(reaction_id: int) -> Response:
    """Everything held about the sender, as a download (a request to see one's data)."""
    try:
        report = triage.privacy_report(db(), reaction_id)
    except NotFound:
        abort(404)
    return Response(json.dumps(report, ensure_ascii=False, indent=2, default=str), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="gegevens-reactie-{reaction_id}.json"'})


@bp.route("/reactions/<id:reaction_id>/forget", methods=["GET", "POST"])
def forget(reaction_id: int) -> ResponseReturnValue:
    """Forget the sender (privacy request): a confirmation page, then the erasure."""
    try:
        report = triage.privacy_report(db(), reaction_id)
    except NotFound as exc:
        flash(error_text(exc), "error")
        return redirect(url_for("team.reaction", reaction_id=reaction_id))
    if request.method == "POST":
        try:
            done = triage.forget(db(), reaction_id, request.form.get("confirm", ""))
        except MailerError as exc:
            flash(error_text(exc), "error")
            return redirect(url_for("team.forget", reaction_id=reaction_id))
        flash(_("Forgotten: %(n)s reaction(s) anonymised, %(m)s message(s) erased.", n=done.reactions_anonymised,
                m=done.raw_messages_erased), "ok")
        return redirect(url_for("team.reaction", reaction_id=reaction_id))
    return render("forget.html", reaction_id=reaction_id, report=report,
                  back=url_for("team.reaction", reaction_id=reaction_id))


@bp.route("/undo", methods=["POST"])
def undo() -> ResponseReturnValue:
    """Undo the changes a toast or the history offers (their history entries)."""
    ids = parse_ids(request.form.getlist("events"))
    if not ids:
        abort(400)
    try:
        done = triage.undo(db(), ids, _actor())
    except MailerError as exc:
        flash(error_text(exc), "error")
        return _back(url_for("team.reactions"))
    session.pop("undo", None)
    flash(_("Undone: %(n)s change(s).", n=len(done)), "ok")
    return _back(url_for("team.reactions"))
