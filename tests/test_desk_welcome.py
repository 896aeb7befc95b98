"""The welcome mail after a confirmed sign-up: on by default, off with [subscribers] welcome_mail."""

from __future__ import annotations

import email
import email.policy
import re

import pytest

from mailer.config import load_config
from mailer.localservers import LocalSmtpServer
from mailer.runtime import Runtime
from mailer.web import create_app
from subscribers import store
from conftest import write_config

ADDRESS = "sanne@example.org"


def _sign_up_and_confirm(tmp_path, smtp_server, **extra):
    rt = Runtime(load_config(write_config(tmp_path, smtp_server.port, web={"base_url": "https://nieuws.example.nl"},
                                          **extra)))
    client = create_app(rt, testing=True).test_client()
    assert client.post("/aanmelden", data={"email": ADDRESS, "name": "Sanne"}).status_code == 200
    (confirmation,) = smtp_server.messages
    text = email.message_from_bytes(confirmation.data, policy=email.policy.default).get_body(("plain",)).get_content()
    path = re.search(r"https://nieuws\.example\.nl(/bevestigen/\S+)", text).group(1)
    assert client.post(path).status_code == 200
    return rt, client, path


def test_welcome_mail_after_confirming_once(tmp_path, smtp_server):
    rt, client, path = _sign_up_and_confirm(tmp_path, smtp_server)
    assert store.find_by_email(rt.db, ADDRESS).status == "active"
    assert len(smtp_server.messages) == 2
    welcome = email.message_from_bytes(smtp_server.messages[1].data, policy=email.policy.default)
    assert welcome["To"] == ADDRESS and welcome["Subject"].startswith("Welkom bij de nieuwsbrief van")
    body = welcome.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Beste Sanne,\n\nWelkom! Uw aanmelding")
    assert "https://nieuws.example.nl/archief\n" in body
    assert re.search(r"https://nieuws\.example\.nl/voorkeuren/\S+", body)
    assert re.search(r"https://nieuws\.example\.nl/afmelden/\S+", body)
    assert client.post(path).status_code == 200      # the link used again: no second welcome
    assert len(smtp_server.messages) == 2
    rt.close()


def test_welcome_mail_can_be_switched_off(tmp_path, smtp_server):
    rt, _client, _path = _sign_up_and_confirm(tmp_path, smtp_server, subscribers={"welcome_mail": False})
    assert store.find_by_email(rt.db, ADDRESS).status == "active"
    assert len(smtp_server.messages) == 1
    rt.close()


def test_confirmation_stands_when_the_welcome_cannot_be_sent(tmp_path):
    smtp = LocalSmtpServer().start()
    rt = Runtime(load_config(write_config(tmp_path, smtp.port)))
    client = create_app(rt, testing=True).test_client()
    client.post("/aanmelden", data={"email": ADDRESS})
    text = email.message_from_bytes(smtp.messages[0].data, policy=email.policy.default) \
        .get_body(("plain",)).get_content()
    path = re.search(r"http://[^/\s]+(/bevestigen/\S+)", text).group(1)
    smtp.stop()   # the mail server is gone when the reader confirms
    r = client.post(path)
    assert r.status_code == 200 and "U bent aangemeld" in r.get_data(as_text=True)
    assert store.find_by_email(rt.db, ADDRESS).status == "active"
    rt.close()


@pytest.mark.parametrize("value", ["false", "0", "no"])
def test_environment_switches_it_off_too(tmp_path, monkeypatch, value):
    monkeypatch.setenv("MAILER_SUBSCRIBERS__WELCOME_MAIL", value)
    assert load_config(write_config(tmp_path)).subscribers.welcome_mail is False
