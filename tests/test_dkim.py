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
