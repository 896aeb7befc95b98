"""``mailer demo --serve``: the "Verzonden post" page - every mail the demo's own SMTP server caught
(newsletters, test copies, confirmation and welcome mails), so someone trying the demo can open
the confirmation mail of a sign-up and finish it. A small web app on a port of its own.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import jinja2
from flask import Flask, Response, abort, request
from markupsafe import Markup, escape

from .. import i18n
from ..localservers import ReceivedMessage

DOMAIN = "demo"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
_URL = re.compile(r"https?://[^\s<>\"'&]+")


@dataclass(frozen=True)
class Caught:
    number: int            # 1-based, in arrival order
    to: str
    subject: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...] = ()   # the ones a person checks: sender, threading, date


# Shown above a caught mail, so someone trying the demo can see an answer's threading.
SHOWN_HEADERS = ("From", "To", "Reply-To", "Date", "Message-ID", "In-Reply-To", "References")


def caught(messages: list[ReceivedMessage], number: int) -> Caught | None:
    if not 1 <= number <= len(messages):
        return None
    m = messages[number - 1]
    msg = email.message_from_bytes(m.data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text_part, html_part = msg.get_body(("plain",)), msg.get_body(("html",))
    text = text_part.get_content() if isinstance(text_part, EmailMessage) else ""
    html = html_part.get_content() if isinstance(html_part, EmailMessage) else ""
    headers = tuple((name, str(msg[name])) for name in SHOWN_HEADERS if msg[name] is not None)
    return Caught(number, ", ".join(m.rcpt_tos), str(msg.get("Subject", "")), text.replace("\r\n", "\n"), html,
                  headers)


def linkify(text: str) -> Markup:
    """Plain text, escaped, with its web addresses as links (the confirmation link must be clickable)."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))


PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% if message %}{{ title }} · {% endif %}{{ _("Sent mail (demo)") }}</title>
<style>
  body { margin:0; font:16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#1d2330; background:#f6f7f9; }
  main { max-width:56rem; margin:0 auto; padding:1rem; }
  h1 { font-size:1.4rem; margin:.4rem 0; } h2 { font-size:1.1rem; margin:1.2rem 0 .4rem; } a { color:#1f5fa8; }
  p { overflow-wrap:anywhere; }
  ol { list-style:none; padding:0; background:#fff; border:1px solid #dde1e7; border-radius:4px; }
  li { padding:.6rem .8rem; border-bottom:1px solid #dde1e7; overflow-wrap:anywhere; } li:last-child { border-bottom:0; }
  .to { color:#5b6472; font-size:.9rem; display:block; }
  pre { white-space:pre-wrap; overflow-wrap:anywhere; background:#fff; border:1px solid #dde1e7; padding:.8rem; font-size:.9rem; }
  iframe { width:100%; height:70vh; border:1px solid #dde1e7; background:#fff; }
  .muted { color:#5b6472; }
  dl { display:grid; grid-template-columns:max-content 1fr; gap:.2rem .8rem; margin:0; font-size:.9rem; }
  dt { font-weight:600; } dd { margin:0; overflow-wrap:anywhere; font-family:ui-monospace, monospace; }
</style></head>
<body><main>
<p><a href="/">{{ _("Sent mail (demo)") }}</a>{% if lang == "nl" %} · <a href="?lang=en" hreflang="en" lang="en">English</a>{% else %} · <a href="?lang=nl" hreflang="nl" lang="nl">Nederlands</a>{% endif %}</p>
{% if message is none %}
<h1>{{ _("Sent mail (demo)") }}</h1>
<p class="muted">{{ _("Every mail the demo sent. Nothing leaves this computer: the demo's own mail server keeps them here.") }}</p>
{% if items %}<ol reversed>{% for m in items %}
<li><a href="/{{ m.number }}">{{ m.subject or _("(no subject)") }}</a><span class="to">{{ _("To") }}: {{ m.to }}</span></li>
{% endfor %}</ol>{% else %}<p>{{ _("No mail yet.") }}</p>{% endif %}
{% else %}
<h1>{{ message.subject or _("(no subject)") }}</h1>
<p class="muted">{{ _("To") }}: {{ message.to }}</p>
<h2>{{ _("Headers") }}</h2>
<dl>{% for name, value in message.headers %}<dt>{{ name }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>
<p><a href="/{{ message.number }}/source">{{ _("The whole message as sent (source)") }}</a></p>
{% if message.html %}<h2>{{ _("As the reader sees it") }}</h2>
<iframe sandbox="" src="/{{ message.number }}/html" title="{{ message.subject }}"></iframe>{% endif %}
<h2>{{ _("Text (with working links)") }}</h2>
<pre>{{ linkify(message.text) }}</pre>
{% endif %}
</main></body></html>
"""


def outbox_app(messages: list[ReceivedMessage], default_language: str = "nl") -> Flask:
    """The "Verzonden post" pages over ``messages`` (the demo SMTP server's list, read live)."""
    app = Flask(__name__)
    env = jinja2.Environment(autoescape=True)
    template = env.from_string(PAGE)

    def page(message: Caught | None = None, status: int = 200) -> Response:
        wanted = request.args.get("lang", "")
        lang = wanted if wanted in i18n.LANGUAGES else default_language

        def _(text: str, **params: Any) -> str:
            return i18n.gettext(lang, DOMAIN, text, **params)

        items = [c for c in (caught(messages, n) for n in range(1, len(messages) + 1)) if c is not None]
        title = message.subject if message else _("Sent mail (demo)")
        body = template.render(_=_, lang=lang, items=list(reversed(items)), message=message, title=title,
                               linkify=linkify)
        return Response(body, status=status, mimetype="text/html")

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.get("/")
    def index() -> Response:
        return page()

    @app.get("/<int:number>")
    def one(number: int) -> Response:
        message = caught(messages, number)
        if message is None:
            abort(404)
        return page(message)

    @app.get("/<int:number>/source")
    def one_source(number: int) -> Response:
        if not 1 <= number <= len(messages):
            abort(404)
        return Response(messages[number - 1].data, mimetype="text/plain")

    @app.get("/<int:number>/html")
    def one_html(number: int) -> Response:
        message = caught(messages, number)
        if message is None or not message.html:
            abort(404)
        resp = Response(message.html, mimetype="text/html")
        resp.headers["Content-Security-Policy"] = FRAME_CSP
        return resp

    return app
