"""The webhook's signature: HMAC-SHA256 over "<timestamp>.<body>" with the shared secret.

Sent as ``X-Mailer-Signature: t=<unix seconds>,v1=<hex digest>``; a receiver recomputes it,
compares in constant time and refuses an old timestamp (a replayed post).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Mailer-Signature"
TOLERANCE = 300  # seconds a receiver should accept between the timestamp and its own clock


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` posted at ``timestamp``."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and its time is within ``tolerance``."""
    parts = dict(p.strip().partition("=")[::2] for p in header.split(","))
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), _digest(secret, timestamp, body))
