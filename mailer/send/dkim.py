"""Optional DKIM signing with dkimpy, configured in ``[dkim]`` (enabled, selector, domain, key_path).

The private key is a PEM file named by ``key_path`` (not a secret value in config.toml: the file
itself is kept out of the repository, mode 0600). Publish the public key as a TXT record at
``<selector>._domainkey.<domain>``.
"""

from __future__ import annotations

from pathlib import Path

import dkim

from ..config import Config
from ..errors import ConfigError

SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"list-id",
    b"list-unsubscribe", b"list-unsubscribe-post", b"mime-version", b"content-type",
)


class DkimSigner:
    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        self.selector = selector.encode("ascii")
        self.domain = domain.encode("ascii")
        self.private_key = private_key

    def sign(self, message: bytes) -> bytes:
        """The ``DKIM-Signature: ...`` header (CRLF-terminated) to put in front of ``message``."""
        signature: bytes = dkim.sign(
            message, self.selector, self.domain, self.private_key,
            canonicalize=(b"relaxed", b"relaxed"), include_headers=list(SIGNED_HEADERS), linesep=b"\r\n",
        )
        return signature


def signer_from_config(cfg: Config) -> DkimSigner | None:
    """A signer when ``[dkim] enabled = true``; a clear ConfigError when the key cannot be read."""
    d = cfg.dkim
    if not d.enabled:
        return None
    domain = d.domain or cfg.sender.domain
    if not d.key_path:
        raise ConfigError("[dkim] enabled = true but key_path is empty: set it to the PEM private key file")
    path: Path = cfg.path(d.key_path)
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"[dkim] key_path {path} cannot be read ({exc.strerror}): fix the path or permissions") from None
    if b"PRIVATE KEY" not in key:
        raise ConfigError(f"[dkim] key_path {path} is not a PEM private key: generate one with "
                          "'openssl genrsa -out dkim.pem 2048'")
    return DkimSigner(d.selector, domain, key)
