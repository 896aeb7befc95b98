"""Downloads from the team's inbox: the current view as CSV, a reaction's raw message, attachments."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timezone

from flask import Response, abort, send_file

from .. import triage
from ..errors import NotFound
from ..spreadsheet import safe_cell
from .html import safe_filename
from .team import bp, db
from .views_reactions import current_filters


EXPORT_COLUMNS = ("id", "sent_date", "received_at", "kind", "status", "newsletter", "theme", "from_name",
                  "from_address", "subject", "attribution", "theme_attribution", "confidence", "assignee", "tags",
                  "reply_text")


def _dutch_number(value: object) -> object:
    """A decimal as a Dutch spreadsheet reads it (0,95), not as a date or text."""
    return f"{value:.2f}".replace(".", ",") if isinstance(value, float) else value


@bp.route("/export.csv")
def export_csv() -> Response:
    """The current view (every page of it) as CSV for a Dutch-locale spreadsheet: semicolons, and
    UTF-8 with a BOM so accents read; every cell kept from becoming a formula."""
    filters = current_filters()
    conn = db()
    rows = list(triage.iter_view(conn, filters))  # read now: the request's connection closes after return

    def generate() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=";")
        buf.write("\ufeff")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow([safe_cell(_dutch_number(row[c])) for c in EXPORT_COLUMNS])
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
