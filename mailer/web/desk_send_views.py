"""The CXO's desk, sending: test copies, scheduling in local time, pause, resume, unschedule, and an
immediate send after a confirmation that names how many subscribers will receive it.

Every call into sending and scheduling goes through desk_actions.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from flask import Response, flash, g, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .. import links
from ..stores import newsletters
from ..errors import InvalidInput, MailerError
from ..schedule.localtime import FORMAT, format_local, parse_local
from ..stores import deliveries
from ..stores import desk as desk_store
from . import desk_actions, desk_files
from .desk_forms import send_at_from_input
from .desk_i18n import _, error_text
from .desk_views import LOCKED, _open, desk_runtime, not_found, page, state_label
from .team import bp, db, runtime

SCHEDULABLE = ("draft", "scheduled", "paused", "missed", "failed")
ADDRESS_SPLIT = re.compile(r"[\s,;]+")


def _file_and_row(name: str) -> tuple[desk_files.IssueFile | None, newsletters.NewsletterRow | None]:
    f = _open(name)
    return f, (newsletters.find(db(), f.slug) if f is not None else None)


def _back(name: str) -> ResponseReturnValue:
    return redirect(url_for("team.desk_send", name=name))


def _local_input(moment: datetime | None) -> str:
    """A stored time as the value of a datetime-local field, in the configured zone."""
    if moment is None:
        return ""
    return moment.astimezone(runtime().config.schedule.tz).strftime("%Y-%m-%dT%H:%M")


@bp.route("/desk/<name>/send")
def desk_send(name: str) -> Response:
    from .desk_deliveries import trouble_note   # here: desk_deliveries imports desk_views, which imports us

    f, row = _file_and_row(name)
    if f is None:
        return not_found()
    cfg = runtime().config
    counts = desk_actions.delivery_counts(desk_runtime(), row.id) if row else {}
    proposed = row.send_at if row and row.send_at else (f.newsletter.send_at if f.newsletter else None)
    addresses = desk_store.test_addresses(db(), g.user.id)
    return page("desk/send.html", issue=f, row=row, state=row.status if row else "draft", counts=counts,
                schedule_value=_local_input(proposed), tz=cfg.schedule.timezone,
                send_at_local=format_local(row.send_at, cfg.schedule.tz) if row else "",
                addresses="\n".join(addresses), tests=deliveries.recent_test_sends(db(), row.id) if row else [],
                web_url=links.web_version_url(cfg, f.slug) if row and row.status in ("sent", "sending") else "",
                schedulable=(row.status if row else "draft") in SCHEDULABLE,
                grace=f"{cfg.schedule.grace_hours:g}", note=trouble_note(counts))


@bp.route("/desk/<name>/state")
def desk_state(name: str) -> ResponseReturnValue:
    """The issue's state and delivery counts, for the send page to follow a send without reloading."""
    f, row = _file_and_row(name)
    if f is None:
        return jsonify({"error": "not found"}), 404
    status = row.status if row else "draft"
    counts = desk_actions.delivery_counts(desk_runtime(), row.id) if row else {}
    return jsonify({"status": status, "label": state_label(status), "sent": counts.get("sent", 0),
                    "failed": counts.get("failed", 0) + counts.get("bounced", 0),
                    "waiting": counts.get("waiting", 0),
                    "pending": counts.get("pending", 0) + counts.get("sending", 0), "counts": counts})


@bp.route("/desk/<name>/test", methods=["POST"])
def desk_test(name: str) -> ResponseReturnValue:
    f, _row = _file_and_row(name)
    if f is None:
        return not_found()
    from subscribers.store import normalise_email

    raw = [a for a in ADDRESS_SPLIT.split(str(request.form.get("addresses", ""))[:4000]) if a]
    addresses: list[str] = []
    for a in raw:
        try:
            email = normalise_email(a)
        except InvalidInput:
            flash(_("%(address)s is not an email address: nothing was sent.", address=a[:100]), "error")
            return _back(name)
        if email not in addresses:
            addresses.append(email)
    if not addresses:
        flash(_("Fill in at least one address for the test."), "error")
        return _back(name)
    if len(addresses) > desk_store.MAX_TEST_ADDRESSES:
        flash(_("At most %(n)s test addresses.", n=desk_store.MAX_TEST_ADDRESSES), "error")
        return _back(name)
    if f.newsletter is None:
        flash(_("The saved file has an error, so no test can be sent: %(error)s", error=f.problem), "error")
        return _back(name)
    desk_store.save_test_addresses(db(), g.user.id, addresses)
    for result in desk_actions.send_tests(desk_runtime(), f.slug, addresses):
        if result.ok:
            flash(_("Test sent to %(address)s.", address=result.address), "ok")
        else:
            flash(_("Test to %(address)s not sent: %(error)s", address=result.address, error=result.detail), "error")
    return _back(name)


def _schedule_problem(at: str, status: str) -> str:
    """Why ``at`` cannot be the send time, in the team member's words; "" when it can."""
    cfg = runtime().config
    tz = cfg.schedule.tz
    if status not in SCHEDULABLE:
        return _("This issue is %(state)s: it cannot be scheduled.", state=state_label(status).lower())
    try:
        datetime.strptime(at, FORMAT)
    except ValueError:
        return _("Not a time: use a date and a time, e.g. 2027-03-11 09:00.")
    try:
        when = parse_local(at, tz).utc
    except InvalidInput:
        return _("%(time)s does not exist in %(zone)s: the clocks jump forward that night. Pick another time.",
                 time=at, zone=tz.key)
    if when <= datetime.now(timezone.utc):
        return _("%(time)s has passed: pick a later time.", time=at)
    return ""


@bp.route("/desk/<name>/schedule", methods=["POST"])
def desk_schedule(name: str) -> ResponseReturnValue:
    f, row = _file_and_row(name)
    if f is None:
        return not_found()
    at = send_at_from_input(str(request.form.get("send_at", ""))[:40])
    problem = _schedule_problem(at, row.status if row else "draft")
    if not problem and f.newsletter is None:
        problem = _("The saved file has an error: %(error)s", error=f.problem)
    if problem:
        flash(problem, "error")
        return _back(name)
    try:
        result = desk_actions.schedule(desk_runtime(), f.slug, at)
    except MailerError as exc:
        flash(_("Not scheduled: %(error)s", error=error_text(exc)), "error")
        return _back(name)
    flash(_("Scheduled for %(time)s.", time=result.local), "ok")
    if result.note:
        flash(_("%(time)s happens twice that night (the clocks go back): the first one is meant.", time=at), "warn")
    if result.quote_problem is not None:
        flash(_("Note: %(problem)s. If that does not change, the send pauses at its time with this reason.",
                problem=error_text(result.quote_problem).rstrip(".")), "warn")
    return _back(name)


def _simple(name: str, action: str) -> ResponseReturnValue:
    f, row = _file_and_row(name)
    if f is None:
        return not_found()
    if row is None:
        flash(_("This issue has not been scheduled or sent: there is nothing to %(action)s.",
                action={"pause": _("pause"), "resume": _("resume"), "unschedule": _("unschedule")}[action]), "error")
        return _back(name)
    rt = desk_runtime()
    try:
        if action == "pause":
            desk_actions.pause(rt, f.slug, f"paused from the desk by {g.user.name}")
            flash(_("Paused. Nothing goes out until you resume it."), "ok")
        elif action == "resume":
            new = desk_actions.resume(rt, f.slug)
            flash(_("Resumed: it goes out from %(time)s.",
                    time=format_local(new.send_at, runtime().config.schedule.tz)), "ok")
        else:
            desk_actions.unschedule(rt, f.slug)
            flash(_("Taken off the schedule: it is a draft again."), "ok")
    except MailerError as exc:
        flash(_("That did not work: %(error)s", error=error_text(exc)), "error")
    return _back(name)


@bp.route("/desk/<name>/pause", methods=["POST"])
def desk_pause(name: str) -> ResponseReturnValue:
    return _simple(name, "pause")


@bp.route("/desk/<name>/resume", methods=["POST"])
def desk_resume(name: str) -> ResponseReturnValue:
    return _simple(name, "resume")


@bp.route("/desk/<name>/unschedule", methods=["POST"])
def desk_unschedule(name: str) -> ResponseReturnValue:
    return _simple(name, "unschedule")


@bp.route("/desk/<name>/send-now", methods=["GET", "POST"])
def desk_send_now(name: str) -> ResponseReturnValue:
    """Step one shows how many subscribers will receive the issue; step two (a POST naming that same
    number) starts the send. If the number changed in between, step one is shown again."""
    f, row = _file_and_row(name)
    if f is None:
        return not_found()
    status = row.status if row else "draft"
    if status in LOCKED:
        flash(_("This issue is %(state)s already.", state=state_label(status).lower()), "error")
        return _back(name)
    if f.newsletter is None:
        flash(_("The saved file has an error: %(error)s", error=f.problem), "error")
        return _back(name)
    audience = desk_actions.audience(db(), row.id if row else None)
    if request.method == "POST" and request.form.get("recipients") == str(audience.recipients) \
            and audience.recipients > 0:
        desk_actions.send_now(runtime().config, f.slug)
        flash(_("Sending to %(n)s subscribers has started.", n=audience.recipients), "ok")
        return _back(name)
    changed = request.method == "POST"
    return page("desk/confirm.html", status=409 if changed else 200, issue=f, audience=audience, changed=changed)
