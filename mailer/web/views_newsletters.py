"""Newsletters for the team: list with state and schedule, overview per issue, reader's preview."""

from __future__ import annotations

from flask import Response, abort, request

from .. import triage
from ..compose.model import Personalisation
from ..errors import MailerError, NotFound
from ..stores import deliveries
from .team import PREVIEW_CSP, _, bp, db, error_text, render, runtime

CHART_WIDTH = 100  # percent: bar widths are SVG attributes (no inline style under our CSP)


@bp.route("/newsletters")
def newsletters() -> str:
    from .desk_deliveries import trouble_note   # here: the desk's modules import team, which imports this one

    counts = deliveries.count_all(db())
    return render("newsletters.html", items=triage.newsletters_with_counts(db()),
                  notes={nid: trouble_note(c) for nid, c in counts.items()})


@bp.route("/newsletters/<slug>")
def overview(slug: str) -> Response | str:
    try:
        ov = triage.overview(db(), slug)
    except NotFound:
        return Response(render("error.html", message=_("This newsletter does not exist.")), status=404)
    biggest = max([t.count for t in ov.per_theme] + [1])
    bars = [
        {"slug": t.slug, "name": t.name or _("Whole issue"), "count": t.count,
         "width": round(t.count / biggest * 70, 1), "y": i * 34}
        for i, t in enumerate(ov.per_theme)
    ]
    from .desk_deliveries import trouble_note

    note = trouble_note(deliveries.count_by_status(db(), ov.newsletter.id))
    return render("overview.html", ov=ov, bars=bars, note=note, chart_height=max(34, len(bars) * 34),
                  statuses=triage.STATUSES, kinds=triage.KINDS)


@bp.route("/newsletters/<slug>/preview")
def preview(slug: str) -> Response | str:
    try:
        nl = triage.overview(db(), slug).newsletter
    except NotFound:
        nl = None
    html, problem = render_preview(slug)
    if nl is None and html is None:
        return Response(render("error.html", message=_("This newsletter does not exist.")), status=404)
    return render("preview.html", slug=slug, nl=nl, available=html is not None, problem=problem)


@bp.route("/newsletters/<slug>/preview.html")
def preview_frame(slug: str) -> Response:
    """The rendered email itself, shown only inside a sandboxed iframe of the preview page."""
    html, _problem = render_preview(slug)
    if html is None:
        abort(404)
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = PREVIEW_CSP
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    return resp


def render_preview(slug: str) -> tuple[str | None, str]:
    """The issue's HTML as a sample reader gets it, or (None, why not)."""
    try:
        from ..compose.source import find_newsletter
        from ..compose.render import compile_newsletter  # written by the compose work
        from ..quotes import approved_for
    except ImportError:
        return None, _("The preview is not available yet: the renderer (mailer.compose.render) is missing.")
    cfg = runtime().config
    try:
        nl = find_newsletter(cfg.newsletters_dir, slug, cfg.schedule.tz)
        from ..media import issue_figures

        figures, _images = issue_figures(cfg, nl, "hosted", request.script_root)
        compiled = compile_newsletter(nl, cfg.templates_dir, organisation=cfg.sender.organisation,
                                      language=nl.language, list_address=cfg.sender.from_address,
                                      figures=figures, quotes=approved_for(db(), nl))
        reply = cfg.sender.reply_address
        person = Personalisation(
            email="lezer@example.org", name="Voorbeeldlezer", reply_address=reply,
            theme_reply_addresses={t.slug: reply for t in nl.themes},
            unsubscribe_url="#", preferences_url="#",
        )
        parts = compiled.render(person)
    except MailerError as exc:
        return None, error_text(exc)
    except (TypeError, AttributeError) as exc:  # the renderer's interface changed
        return None, _("The preview could not be rendered: %(error)s", error=str(exc))
    return getattr(parts, "html", str(parts)), ""
