"""Log-in and log-out for the team."""

from __future__ import annotations

from flask import Response, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from . import auth, csrf
from .team import _, bp, db, render, safe_next


def _restart_session() -> None:
    """Empty the cookie session but keep the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"), url_for("team.reactions"))
    if g.get("user") is not None and request.method == "GET":
        return redirect(next_url)
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "")[:60]
        guard: auth.LoginGuard = current_app.extensions["mailer_login_guard"]
        try:
            # The client's address: waitress puts a trusted proxy's X-Forwarded-For here ([web] trusted_proxy).
            user = guard.log_in(db(), request.remote_addr or "", name, request.form.get("password", ""))
        except auth.LoginRefused as exc:
            if exc.status == 429:
                error = _("Too many log-in attempts from your address. Try again in %(seconds)s s.",
                          seconds=exc.retry_after)
            else:
                error = _("Many people are logging in at once. Try again in %(seconds)s s.", seconds=exc.retry_after)
            resp = Response(render("login.html", error=error, name=name, next=next_url), status=exc.status)
            resp.headers["Retry-After"] = str(exc.retry_after)
            return resp
        except auth.LoginFailed:
            return Response(render("login.html", error=_("Wrong name or password."), name=name, next=next_url),
                            status=401)
        _restart_session()  # a new session on log-in (no fixation)
        session["sid"] = auth.start_session(db(), user)
        session.permanent = True
        csrf.rotate()
        return redirect(next_url)
    return render("login.html", error="", name=name, next=next_url)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    auth.end_session(db(), session.get("sid", ""))
    _restart_session()
    return redirect(url_for("team.login"))
