"""DKIM: a sent message carries a signature that dkimpy verifies against the public key (no DNS)."""

from __future__ import annotations

import base64
import subprocess

import dkim
import pytest
from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer.errors import ConfigError
from mailer.localservers import LocalSmtpServer
from mailer.send.dkim import signer_from_config
from mailer.send.sender import send_newsletter


def _keypair(tmp_path):
    """A fresh 2048-bit RSA key made with Debian's openssl; returns (PEM path, base64 public key)."""
    path = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(path), "2048"], check=True, capture_output=True)
    public = subprocess.run(["openssl", "rsa", "-in", str(path), "-pubout", "-outform", "DER"],
                            check=True, capture_output=True).stdout
    return path, base64.b64encode(public)


def test_sent_message_has_a_valid_dkim_signature(tmp_path):
    key_path, public = _keypair(tmp_path)
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port, dkim={"enabled": True, "selector": "nb2026",
                                                    "domain": "verkenning.example.nl", "key_path": str(key_path)})
        add_subscribers(rt, 2)
        report = send_newsletter(rt, SLUG)
        assert report.sent == 2
        data = smtp.messages[0].data
    assert data.startswith(b"DKIM-Signature:")
    assert b"d=verkenning.example.nl" in data and b"s=nb2026" in data

    def dnsfunc(name, timeout=5):
        assert name == b"nb2026._domainkey.verkenning.example.nl."
        return b"v=DKIM1; k=rsa; p=" + public

    assert dkim.verify(data, dnsfunc=dnsfunc)
    tampered = data.replace(b"Proefnummer", b"Pr0efnummer", 1)
    assert not dkim.verify(tampered, dnsfunc=dnsfunc)


def test_missing_key_is_a_clear_config_error(tmp_path):
    rt = make_runtime(tmp_path, dkim={"enabled": True, "key_path": str(tmp_path / "nope.pem")})
    with pytest.raises(ConfigError, match=r"\[dkim\] key_path .*nope.pem"):
        signer_from_config(rt.config)


def test_signatures_of_messages_with_odd_white_space_verify(tmp_path):
    """The general canonicalisation path (messages not built by message.py): tabs, runs of spaces,
    trailing white space, folded headers, empty lines at the end."""
    from mailer.send.dkim import DkimSigner
    from cryptography.hazmat.primitives import serialization

    key_path, public = _keypair(tmp_path)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    signer = DkimSigner("sel", "example.nl", key)
    message = (b"From: Iemand  <a@example.nl>\r\nTo: b@example.org\r\nSubject: een\r\n  gevouwen\tonderwerp \r\n"
               b"Date: Thu, 26 Nov 2026 09:00:00 +0100\r\nMessage-ID: <x@example.nl>\r\nX-Other: niet getekend\r\n"
               b"\r\nregel\tmet  tabs   en spaties  \r\n \r\nslot\r\n\r\n\r\n")

    def dnsfunc(name, timeout=5):
        return b"v=DKIM1; k=rsa; p=" + public

    signed = signer.sign(message) + message
    assert b"h=from:to:subject:date:message-id;" in signed
    assert dkim.verify(signed, dnsfunc=dnsfunc)
    assert not dkim.verify(signed.replace(b"slot", b"Slot"), dnsfunc=dnsfunc)
    # relaxed: white space changes on the way do not break it
    assert dkim.verify(signed.replace(b"regel\tmet", b"regel met").replace(b"spaties  \r\n", b"spaties\r\n"),
                       dnsfunc=dnsfunc)
