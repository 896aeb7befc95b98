"""mailer/smtp.py, the one SMTP helper, against real servers: what each failure is called, and the
opt-in mails it sends (which never repeat the name typed into the form)."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from test_send_kit import make_runtime

from mailer import smtp
from mailer.config import SmtpConfig
from mailer.errors import SmtpUnavailable
from mailer.localservers import LocalSmtpServer
from subscribers import mailing, optin, store


def _cfg(port: int, **kw: object) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, **kw)  # type: ignore[arg-type]


def test_a_username_on_a_server_without_auth_names_auth_not_starttls():
    with LocalSmtpServer() as server:   # aiosmtpd offers neither AUTH (without TLS) nor STARTTLS
        with pytest.raises(SmtpUnavailable) as err:
            smtp.connect(_cfg(server.port, security="none", username="nieuwsbrief"), "geheim")
    message = str(err.value)
    assert "AUTH" in message and "STARTTLS" not in message and "[smtp] security" in message
    assert f"127.0.0.1:{server.port}" in message and "\n" not in message


def test_starttls_asked_of_a_server_without_it_says_so():
    with LocalSmtpServer() as server:
        with pytest.raises(SmtpUnavailable, match="does not offer STARTTLS"):
            smtp.connect(_cfg(server.port, security="starttls"), "")


def test_a_server_that_never_greets_is_a_timeout():
    with socket.socket() as listener:   # accepts the TCP connection (backlog) and says nothing
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with pytest.raises(SmtpUnavailable) as err:
            smtp.connect(_cfg(port, timeout=0.3), "")
    assert "did not answer within 0.3 s" in str(err.value) and "closed" not in str(err.value)


def test_send_mail_delivers_and_a_refused_recipient_is_one_clear_error():
    with LocalSmtpServer() as server:
        server.handler.rcpt_hook = lambda a: "550 5.1.1 no such user" if a == "weg@example.org" else None
        msg = EmailMessage()
        msg["Subject"] = "Hallo"
        msg.set_content("Tekst.")
        smtp.send_mail(_cfg(server.port), "", msg, mail_from="b@example.org", to=["a@example.org"])
        assert [m.rcpt_tos for m in server.messages] == [["a@example.org"]]
        with pytest.raises(smtp.MessageRefused, match="550 5.1.1 no such user"):
            smtp.send_mail(_cfg(server.port), "", msg, mail_from="b@example.org", to=["weg@example.org"])


def test_the_confirmation_mail_does_not_repeat_the_typed_name(tmp_path):
    name = "Win een Zqxprijs op https://kwaad.example/klik"
    with LocalSmtpServer() as server:
        rt = make_runtime(tmp_path, server.port)
        optin.signup(rt.db, rt.config, rt.key, "iemand@example.org", name)
        store.add(rt.db, "al@example.org", "Al Lid")
        optin.signup(rt.db, rt.config, rt.key, "al@example.org", name)   # "you are already subscribed"
        assert len(server.messages) == 2
        for m in server.messages:
            text = message_from_bytes(m.data, policy=default).get_content()
            assert "kwaad" not in text and "Zqxprijs" not in text and b"kwaad" not in m.data
            assert text.startswith("Beste lezer,")
    mail = mailing.confirmation(rt.config, rt.key, 1, "iemand@example.org", name, "en")
    assert "kwaad.example" not in mail.text and mail.text.startswith("Hello,")
