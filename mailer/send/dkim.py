"""DKIM signatures (RFC 6376: rsa-sha256, relaxed/relaxed), configured in ``[dkim]``.

Written here rather than with dkimpy's ``dkim.sign`` because dkimpy computes RSA in pure Python
(several milliseconds a message, more than the whole send); the RSA step is OpenSSL's, through
``cryptography``. The canonicalisation follows RFC 6376 section 3.4 as dkimpy implements it, and
the tests verify the signatures with dkimpy's ``dkim.verify``.

The private key is a PEM file named by ``key_path`` (kept out of the repository, mode 0600). Publish
the public key as a TXT record at ``<selector>._domainkey.<domain>``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..config import Config
from ..errors import ConfigError

SIGNED_HEADERS = (
    "from", "to", "subject", "date", "message-id", "reply-to", "list-id",
    "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type",
)
_WSP = re.compile(rb"[ \t]+")
_FOLD = re.compile(rb"\r\n(?=[ \t])")


def relaxed_header(name: bytes, value: bytes) -> bytes:
    """``name:value`` canonicalised: lower-case name, value unfolded, white space runs as one space,
    none at either end (RFC 6376 3.4.2)."""
    value = _WSP.sub(b" ", _FOLD.sub(b"", value)).strip(b" ")
    return name.strip().lower() + b":" + value


def relaxed_body(body: bytes, *, already_relaxed: bool = False) -> bytes:
    """The body canonicalised (RFC 6376 3.4.4). ``already_relaxed``: the caller guarantees no tabs,
    runs of spaces or white space at line ends (message.py's bodies), so only the end is checked."""
    if not already_relaxed and (b"\t" in body or b"  " in body or b" \r\n" in body):
        body = _WSP.sub(b" ", body).replace(b" \r\n", b"\r\n")
    while body.endswith(b"\r\n\r\n"):
        body = body[:-2]
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body


def _header_fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """(name, value with its folding) of each header field, in order."""
    fields: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
        elif line:
            name, _, value = line.partition(b":")
            fields.append((name, value))
    return fields


class DkimSigner:
    def __init__(self, selector: str, domain: str, private_key: rsa.RSAPrivateKey) -> None:
        self.selector = selector
        self.domain = domain
        self.key = private_key

    def sign(self, message: bytes, *, body_is_relaxed: bool = False) -> bytes:
        """The ``DKIM-Signature: ...`` header (CRLF-terminated) to put in front of ``message``."""
        head, _, body = message.partition(b"\r\n\r\n")
        body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body, already_relaxed=body_is_relaxed)).digest())
        fields = _header_fields(head)
        present = {name.strip().lower() for name, _ in fields}
        signed = [h.encode("ascii") for h in SIGNED_HEADERS if h.encode("ascii") in present]
        canonical: list[bytes] = []
        used: dict[bytes, int] = {}
        for name in signed:   # each name signs its last instance not signed already (RFC 6376 5.4.2)
            matches = [f for f in fields if f[0].strip().lower() == name]
            n = used.get(name, 0)
            used[name] = n + 1
            field_name, value = matches[len(matches) - 1 - n]
            canonical.append(relaxed_header(field_name, value) + b"\r\n")
        tags = (f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={self.domain}; s={self.selector};\r\n"
                f" t={int(time.time())}; h={':'.join(h.decode() for h in signed)};\r\n"
                f" bh={body_hash.decode('ascii')};\r\n b=").encode("ascii")
        canonical.append(relaxed_header(b"DKIM-Signature", b" " + tags))
        signature = base64.b64encode(self.key.sign(b"".join(canonical), padding.PKCS1v15(), hashes.SHA256()))
        folded = b"\r\n ".join(signature[i:i + 72] for i in range(0, len(signature), 72))
        return b"DKIM-Signature: " + tags + folded + b"\r\n"


def signer_from_config(cfg: Config) -> DkimSigner | None:
    """A signer when ``[dkim] enabled = true``; a clear ConfigError when the key cannot be used."""
    d = cfg.dkim
    if not d.enabled:
        return None
    domain = d.domain or cfg.sender.domain
    if not d.key_path:
        raise ConfigError("[dkim] enabled = true but key_path is empty: set it to the PEM private key file")
    path: Path = cfg.path(d.key_path)
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"[dkim] key_path {path} cannot be read ({exc.strerror}): fix the path or permissions") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"[dkim] key_path {path} is not an unencrypted PEM RSA private key: generate one with "
                          "'openssl genrsa -out dkim.pem 2048'")
    return DkimSigner(d.selector, domain, key)
