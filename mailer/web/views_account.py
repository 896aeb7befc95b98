"""The team member's account page: their API tokens for the read-only JSON API (create, revoke).

A new token is shown once, in the answer to the form that made it (never put in the session
cookie or a redirect), and only its hash is stored.
"""

from __future__ import annotations

from flask import Response, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..errors import MailerError
from . import api_tokens
from .team import _, bp, db, error_text, render


def _page(new_token: str = "", error: str = "", label: str = "", status: int = 200) -> Response:
    tokens = api_tokens.list_tokens(db(), g.user.name)
    html = render("account.html", tokens=tokens, new_token=new_token, error=error, label=label,
                  api_url=request.url_root.rstrip("/") + url_for("api.index"))
    return Response(html, status=status)


@bp.route("/account")
def account() -> ResponseReturnValue:
    return _page()


@bp.route("/account/tokens", methods=["POST"])
def create_token() -> ResponseReturnValue:
    label = request.form.get("label", "")[:200]
    try:
        new = api_tokens.for_user(db(), g.user, label)
    except MailerError as exc:
        return _page(error=error_text(exc), label=label, status=400)
    return _page(new_token=new.token)


@bp.route("/account/tokens/<id:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> ResponseReturnValue:
    try:
        api_tokens.revoke(db(), token_id, g.user)
    except MailerError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("API token revoked: it no longer works."), "ok")
    return redirect(url_for("team.account"))
