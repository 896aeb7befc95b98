"""Signed tokens for reply addresses, unsubscribe links, VERP bounce addresses, confirmations and
quote permissions.

A token is ``<purpose>-<n1>-<n2>...-<mac>``: base-36 integers and a truncated HMAC-SHA256 in
lower-case base32. Everything is lower case and drawn from ``[a-z0-9-]`` because mail systems
may lower-case the local part of an address, and a token must survive as
``reacties+<token>@example.org`` (local part at most 64 octets). Written by hand because the
common signers (itsdangerous and kin) emit mixed case and ``.`` which do not survive that.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from .errors import TokenError

MAC_BYTES = 10  # 80 bits: 16 base32 characters

# Purposes, one letter each to keep reply addresses short.
REPLY = "r"          # newsletter, subscriber, theme index (0 = whole issue)
UNSUBSCRIBE = "u"    # subscriber
PREFERENCES = "p"    # subscriber
BOUNCE = "b"         # delivery
CONFIRM = "c"        # subscriber, expiry (unix minutes)
QUOTE = "q"          # quote request, expiry (unix minutes): a reader's answer to "may we quote you?"


def _b36(n: int) -> str:
    if n < 0:
        raise ValueError("token fields are non-negative integers")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.b32encode(digest).decode("ascii").lower().rstrip("=")


def make(key: bytes, purpose: str, *fields: int) -> str:
    """Sign ``fields`` (non-negative ints) for ``purpose``."""
    payload = "-".join([purpose, *(_b36(f) for f in fields)])
    return f"{payload}-{_mac(key, payload)}"


def read(key: bytes, purpose: str, token: str, count: int | None = None) -> tuple[int, ...]:
    """Verify ``token`` and return its fields. Raises ``TokenError`` (reason invalid|forged)."""
    token = token.strip().lower()
    parts = token.split("-")
    if len(parts) < 3 or parts[0] != purpose:
        raise TokenError("this link or address is damaged", reason="invalid")
    payload, mac = "-".join(parts[:-1]), parts[-1]
    try:
        fields = tuple(int(p, 36) for p in parts[1:-1])
    except ValueError:
        raise TokenError("this link or address is damaged", reason="invalid") from None
    if count is not None and len(fields) != count:
        raise TokenError("this link or address is damaged", reason="invalid")
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise TokenError("this link or address was not issued by us", reason="forged")
    return fields


def make_expiring(key: bytes, purpose: str, *fields: int, ttl_seconds: int, now: float | None = None) -> str:
    """Like ``make`` with an expiry (unix minutes) as the last field."""
    expires = int(((now if now is not None else time.time()) + ttl_seconds) // 60) + 1
    return make(key, purpose, *fields, expires)


def read_expiring(key: bytes, purpose: str, token: str, count: int, now: float | None = None) -> tuple[int, ...]:
    """Verify an expiring token; raises ``TokenError`` with reason ``expired`` when it is too old."""
    fields = read(key, purpose, token, count + 1)
    if fields[-1] * 60 < (now if now is not None else time.time()):
        raise TokenError("this link has expired", reason="expired")
    return fields[:-1]


@dataclass(frozen=True)
class ReplyToken:
    newsletter_id: int
    subscriber_id: int
    theme_index: int  # 0 = the whole issue, n = the n-th theme of the newsletter (1-based)


def reply_address(key: bytes, base_address: str, newsletter_id: int, subscriber_id: int, theme_index: int = 0) -> str:
    """``reacties@x`` -> ``reacties+r-1-2s-0-<mac>@x`` (plus-addressing on the reply mailbox)."""
    local, _, domain = base_address.partition("@")
    return f"{local}+{make(key, REPLY, newsletter_id, subscriber_id, theme_index)}@{domain}"


def tag_of(address: str) -> str | None:
    """The ``+tag`` of an address, lower-cased, or None."""
    local = address.strip().strip("<>").rpartition("@")[0]
    if "+" not in local:
        return None
    return local.split("+", 1)[1].lower()


def read_reply_address(key: bytes, address: str) -> ReplyToken:
    """Verify the reply token in ``address``. Raises ``TokenError``; NotFound-like absence -> reason 'absent'."""
    tag = tag_of(address)
    if tag is None or not tag.startswith(REPLY + "-"):
        raise TokenError("no reply token in this address", reason="absent")
    n, s, t = read(key, REPLY, tag, 3)
    return ReplyToken(n, s, t)


def bounce_address(key: bytes, base_address: str, delivery_id: int) -> str:
    """VERP envelope sender naming one delivery: ``bounces+b-<id>-<mac>@x``."""
    local, _, domain = base_address.partition("@")
    return f"{local}+{make(key, BOUNCE, delivery_id)}@{domain}"


def read_bounce_address(key: bytes, address: str) -> int:
    tag = tag_of(address)
    if tag is None or not tag.startswith(BOUNCE + "-"):
        raise TokenError("no bounce token in this address", reason="absent")
    return read(key, BOUNCE, tag, 1)[0]
