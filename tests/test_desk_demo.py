"""The demo's "Verzonden post" page over the demo SMTP server's caught mail."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.policy import SMTP

from mailer.demo.outbox import linkify, outbox_app
from mailer.localservers import LocalSmtpServer


def _send(port: int, to: str, subject: str, text: str, html: str = "") -> None:
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["To"], msg["Subject"] = "demo@example.org", to, subject
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.send_message(msg)


def test_outbox_lists_caught_mail_and_opens_the_confirmation_link():
    with LocalSmtpServer() as smtp:
        app = outbox_app(smtp.messages).test_client()
        assert "Nog geen post." in app.get("/").get_data(as_text=True)
        _send(smtp.port, "noor@example.org", "Bevestig uw aanmelding",
              "Bevestig hier:\n\nhttp://127.0.0.1:8080/bevestigen/c-1-abc\n")
        _send(smtp.port, "cxo@example.nl", "[TEST] <script>alert(1)</script>", "tekst", "<p>Hallo</p>")
        index = app.get("/").get_data(as_text=True)
        assert index.index('href="/2"') < index.index('href="/1"')            # newest first
        assert "Aan: noor@example.org" in index and "&lt;script&gt;" in index and "<script>" not in index
        one = app.get("/1")
        assert '<a href="http://127.0.0.1:8080/bevestigen/c-1-abc">' in one.get_data(as_text=True)
        assert "default-src 'none'" in one.headers["Content-Security-Policy"]
        two = app.get("/2").get_data(as_text=True)
        assert '<iframe sandbox="" src="/2/html"' in two
        frame = app.get("/2/html")
        assert frame.get_data(as_text=True).strip() == "<p>Hallo</p>" and "sandbox" in frame.headers["Content-Security-Policy"]
        assert app.get("/3").status_code == 404 and app.get("/1/html").status_code == 404
        assert "Sent mail (demo)" in app.get("/?lang=en").get_data(as_text=True)


def test_linkify_escapes_before_linking():
    out = str(linkify('<b>x</b> https://a.example/p?x=1 "https://b.example"'))
    assert out.startswith("&lt;b&gt;x&lt;/b&gt; ") and '<a href="https://a.example/p?x=1">' in out
    assert '<a href="https://b.example">' in out
