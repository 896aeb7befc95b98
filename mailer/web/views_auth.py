"""Log-in and log-out for the team."""

from __future__ import annotations

from flask import Response, g, redirect, request, session, url_for

from flask.typing import ResponseReturnValue

from . import auth, csrf
from .team import _, bp, db, fmt_dt, render, safe_next


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"), url_for("team.reactions"))
    if g.get("user") is not None and request.method == "GET":
        return redirect(next_url)
    error = ""
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "")[:60]
        try:
            user = auth.authenticate(db(), name, request.form.get("password", ""))
        except auth.LoginFailed as exc:
            if exc.locked_until is not None:
                error = _("Too many failed log-ins: this account is locked until %(time)s.",
                          time=fmt_dt(exc.locked_until))
            else:
                error = _("Wrong name or password.")
            return Response(render("login.html", error=error, name=name, next=next_url), status=401)
        lang = session.get("lang")
        session.clear()  # a new session on log-in (no fixation)
        if lang:
            session["lang"] = lang
        session["user_id"] = user.id
        session["user_name"] = user.name
        session.permanent = True
        csrf.rotate()
        return redirect(next_url)
    return render("login.html", error=error, name=name, next=next_url)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("team.login"))
