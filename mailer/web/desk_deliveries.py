"""The CXO's desk, following a send: progress per state, every delivery with the server's answer,
filtered by state and searched by address, a CSV export, and "Opnieuw proberen" for the deliveries
that failed for a temporary reason. Reads through stores.deliveries; retries through desk_actions.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..spreadsheet import safe_cell
from ..stores import deliveries, newsletters
from . import desk_actions
from .desk_i18n import _
from .desk_views import _open, not_found, page, state_label
from .team import bp, db, fmt_dt, runtime

SHOWN = 500            # rows on the page at most; the CSV has them all
MAX_QUERY = 200        # characters of an address search


@dataclass(frozen=True)
class Progress:
    """A send's deliveries per state, grouped as the desk shows them."""

    sent: int
    waiting: int       # a temporary failure: tried again later
    failed: int        # refused for good, or temporary trouble that lasted too long
    retryable: int     # of ``failed``: may be tried again
    bounced: int
    pending: int       # not tried yet (or in flight)
    suppressed: int
    total: int

    @property
    def trouble(self) -> bool:
        return bool(self.failed or self.bounced or self.waiting)


def progress_of(counts: dict[str, int], retryable: int = 0) -> Progress:
    c = {k: counts.get(k, 0) for k in deliveries.STATES}
    return Progress(sent=c["sent"], waiting=c["waiting"], failed=c["failed"], retryable=retryable,
                    bounced=c["bounced"], pending=c["pending"] + c["sending"], suppressed=c["suppressed"],
                    total=sum(c.values()))


def trouble_note(counts: dict[str, int]) -> str:
    """What keeps a send from being simply "sent" ("2 failed, 1 waiting for a retry"), or ""."""
    p = progress_of(counts)
    parts = []
    if p.failed + p.bounced:
        parts.append(_("%(n)s failed", n=p.failed + p.bounced))
    if p.waiting:
        parts.append(_("%(n)s waiting for a retry", n=p.waiting))
    return ", ".join(parts)


def explanation(d: deliveries.Delivery) -> str:
    """Why a delivery is where it is and whether "Retry" touches it, in the team member's words."""
    if d.status == "failed" and d.retryable:
        return _("Temporary trouble that lasted too long: \"Retry\" sends it again.")
    if d.status == "failed":
        return _("Refused for good by the receiving server: not retried. Check the address with the recipient.")
    if d.status == "bounced":
        return _("The address does not exist: it is blocked for later sends and not retried.")
    if d.status == "suppressed":
        return _("Unsubscribed or on the blocklist: not sent and not retried.")
    if d.status == "waiting":
        return _("Temporary trouble: tried again from %(time)s.", time=fmt_dt(d.next_attempt_at))
    if d.status in ("pending", "sending"):
        return _("Not tried yet.")
    return ""


def _issue(name: str) -> tuple[str, str, newsletters.NewsletterRow | None] | None:
    """(file name, title, database row) of an issue, also when only its database row is left."""
    f = _open(name)
    if f is not None:
        row = newsletters.find(db(), f.slug)
        title = f.newsletter.title if f.newsletter else (f.draft.title if f.draft else "") or f.name
        return f.name, title, row
    row = newsletters.find(db(), name)
    return (name, row.title, row) if row is not None else None


def _filters() -> tuple[str | None, str]:
    state = request.args.get("state") or None
    if state not in deliveries.STATES:
        state = None
    return state, " ".join(str(request.args.get("q", "")).split())[:MAX_QUERY].lower()


def _matching(newsletter_id: int, state: str | None, query: str) -> list[deliveries.Delivery]:
    rows = deliveries.for_newsletter(db(), newsletter_id, state)
    return [d for d in rows if query in d.email] if query else rows


@bp.route("/desk/<name>/deliveries")
def desk_deliveries(name: str) -> Response:
    found = _issue(name)
    if found is None:
        return not_found()
    file_name, title, row = found
    state, query = _filters()
    counts = deliveries.count_by_status(db(), row.id) if row else {}
    prog = progress_of(counts, deliveries.count_retryable(db(), row.id) if row else 0)
    rows = _matching(row.id, state, query) if row else []
    return page("desk/deliveries.html", name=file_name, title=title, row=row,
                issue_state=row.status if row else "draft", progress=prog, note=trouble_note(counts),
                rows=rows[:SHOWN], matched=len(rows), shown=SHOWN, filter_state=state, query=query,
                states=deliveries.STATES, explanation=explanation,
                state_names={"pending": _("Not sent yet"), "sending": _("Being sent"),
                             "waiting": _("Waiting for a retry"), "sent": _("Delivered"), "failed": _("Failed"),
                             "bounced": _("Bounced"), "suppressed": _("Skipped")})


@bp.route("/desk/<name>/deliveries.csv")
def desk_deliveries_csv(name: str) -> Response:
    """The deliveries as the page filters them, for a Dutch spreadsheet: semicolons and a BOM."""
    found = _issue(name)
    row = found[2] if found is not None else None
    if row is None:
        return not_found()
    state, query = _filters()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("address"), _("state"), _("retryable"), _("attempts"), _("first attempt"), _("sent at"),
                     _("last change"), _("next attempt"), _("server answer"), "Message-ID"])
    for d in _matching(row.id, state, query):
        writer.writerow([safe_cell(v) for v in (
            d.email, d.status, _("yes") if d.retryable else _("no"), d.attempts, d.first_attempt_at or "",
            d.sent_at or "", d.updated_at, d.next_attempt_at or "", d.last_error, d.message_id)])
    suffix = f"-{state}" if state else ""
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{row.slug}-deliveries{suffix}.csv"'})


@bp.route("/desk/<name>/deliveries/retry", methods=["POST"])
def desk_deliveries_retry(name: str) -> ResponseReturnValue:
    """Send again, in the background, to the deliveries that failed for a temporary reason and to
    those waiting; say which are left alone and why."""
    found = _issue(name)
    if found is None:
        return not_found()
    _file, _title, row = found
    back = redirect(url_for("team.desk_deliveries", name=name))
    if row is None:
        flash(_("This issue has not been sent: there is nothing to retry."), "error")
        return back
    prog = progress_of(deliveries.count_by_status(db(), row.id), deliveries.count_retryable(db(), row.id))
    if row.status in ("paused", "scheduled", "missed", "draft"):
        flash(_("This issue is %(state)s: resume it first.", state=state_label(row.status).lower()), "error")
        return back
    permanent = prog.failed - prog.retryable
    if prog.retryable or prog.waiting:
        desk_actions.retry_in_background(runtime().config, row.slug)
        flash(_("Trying again: %(failed)s failed and %(waiting)s waiting deliveries.",
                failed=prog.retryable, waiting=prog.waiting), "ok")
    else:
        flash(_("Nothing to retry: no delivery failed for a temporary reason or waits."), "warn")
    if permanent or prog.bounced or prog.suppressed:
        flash(_("Not retried: %(failed)s refused for good by the server, %(bounced)s bounced (the address "
                "does not exist), %(suppressed)s unsubscribed or blocked.", failed=permanent,
                bounced=prog.bounced, suppressed=prog.suppressed), "warn")
    return back
