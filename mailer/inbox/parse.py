"""Inbound mail -> ``ParsedMessage``: headers, text, attachments, kind, reply text.

Pure (no database, no network) and total: ``parse_message`` never raises. Whatever part of the
parser fails, the result is kind ``other`` with the failure named in ``errors`` and as much of the
message as could be read. The standard ``email`` package reads the message: ``message_from_bytes``
with a compat32 policy (policy.default runs its full header grammar on every header access, which
is slow), with ``email.utils`` and ``email.header`` for the few headers whose structure matters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from mailer.inbox import autoreply, bounces, replytext
from mailer.inbox.body import BodyParts, collect_parts

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
MAX_HEADER_CHARS = 64 * 1024  # one header value; longer ones are cut before the header parser sees them

KIND_REACTION = "reaction"
KIND_AUTO_REPLY = "auto_reply"
KIND_BOUNCE = "bounce"
KIND_OTHER = "other"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    kind: str  # "reaction" | "auto_reply" | "bounce" | "other"
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_address: str = ""
    from_name: str = ""
    recipients: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    reply_text: str = ""
    quoted_text: str = ""
    full_text: str = ""
    html_body: str = ""
    bounced_addresses: tuple[str, ...] = ()
    bounce_type: str = ""  # "hard" | "soft" | ""
    bounce_status: str = ""  # e.g. "5.1.1"
    bounced_message_id: str | None = None
    auto_reply_reason: str = ""
    attachments: tuple[Attachment, ...] = ()
    errors: tuple[str, ...] = ()
    size: int = 0


_SURROGATES = re.compile("[\udc80-\udcff]")


class _InboundPolicy(Compat32):
    """compat32 for mail as it arrives: a header value is handed out as text, cut at
    MAX_HEADER_CHARS, with raw 8-bit bytes in it (against the RFC, but common) read as UTF-8,
    else windows-1252 (compat32 itself hands such a value out as a Header object)."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if not isinstance(value, str):  # a Header object set by a program, not read from the wire
            return super().header_fetch_parse(name, value)
        value = value[:MAX_HEADER_CHARS]
        if not value.isascii() and _SURROGATES.search(value):
            data = value.encode("ascii", "surrogateescape")
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode("windows-1252", "replace")
        return value


INBOUND = _InboundPolicy()


def parse_message(
    raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, own_addresses: tuple[str, ...] = ()
) -> ParsedMessage:
    """Parse one raw RFC 5322 message. Never raises; failures end up in ``errors``."""
    try:
        if raw is None:
            raw = b""
        elif not isinstance(raw, (bytes, bytearray, memoryview)):
            raw = str(raw).encode("utf-8", "replace")
        raw = bytes(raw)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
        return ParsedMessage(kind=KIND_OTHER, errors=(f"unreadable input: {exc!r}"[:300],))
    errors: list[str] = []
    oversize = len(raw) > max_bytes
    try:
        if oversize:
            msg = BytesHeaderParser(policy=INBOUND).parsebytes(header_block(raw))
        else:
            msg = message_from_bytes(raw, policy=INBOUND)
        headers = Headers(msg, errors)
        fields = _header_fields(headers, len(raw), errors)
    except Exception as exc:  # noqa: BLE001 - fall back to the header block alone
        try:
            fields = _header_fields(Headers(BytesHeaderParser(policy=INBOUND).parsebytes(header_block(raw)), errors),
                                    len(raw), errors)
        except Exception:  # noqa: BLE001
            return ParsedMessage(kind=KIND_OTHER, size=len(raw), errors=(f"headers unreadable: {exc!r}"[:300],))
        errors.append(f"MIME structure unreadable: {type(exc).__name__}: {exc}"[:300])
        return ParsedMessage(kind=KIND_OTHER, errors=tuple(errors), **fields)
    if oversize:
        errors.append(f"message larger than {max_bytes} bytes ({len(raw)} bytes); body not parsed")
        return ParsedMessage(kind=KIND_OTHER, errors=tuple(errors), **fields)
    try:
        headers.errors = None  # read again for the kind: any note on a header was made above
        return _parse_full(msg, headers, fields, errors, tuple(a.lower() for a in own_addresses))
    except RecursionError:
        errors.append("message nested too deeply to parse")
    except Exception as exc:  # noqa: BLE001
        errors.append(f"parser failed: {type(exc).__name__}: {exc}"[:300])
    return ParsedMessage(kind=KIND_OTHER, errors=tuple(errors), **fields)


def header_block(raw: bytes) -> bytes:
    """Only the header block, so an oversized message is never parsed beyond its headers."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[: at + len(sep)]
    return raw[: 1024 * 1024]


# --- headers -------------------------------------------------------------------------------------

class Headers:
    """The header values of one message by lower-cased name, read in one pass over ``msg.items()``
    and decoded (``_decoded``) when asked for."""

    def __init__(self, msg: Message, errors: list[str] | None = None) -> None:
        self.errors = errors
        self.raw: dict[str, list[str]] = {}
        for name, value in msg.items():
            self.raw.setdefault(name.lower(), []).append(value)

    def all(self, name: str) -> list[str]:
        """All values of header ``name``, unfolded, RFC 2047 words decoded; [] when absent."""
        out: list[str] = []
        for value in self.raw.get(name.lower(), ()):
            if self.errors is not None and len(value) >= MAX_HEADER_CHARS:
                self.errors.append(f"header {name} longer than {MAX_HEADER_CHARS} characters; cut")
            out.append(_decoded(name, value))
        return out

    def get(self, name: str) -> str:
        """The first value of header ``name`` (see ``all``), or ""."""
        values = self.all(name)
        return values[0] if values else ""


def _decoded(name: str, value: str) -> str:
    """One raw header value unfolded, its RFC 2047 words decoded (policy.default's header class
    reads more broken ones; compat32's decode_header where that refuses)."""
    if "=?" not in value:
        return " ".join(value.split()) if "\n" in value else value.strip()
    try:
        return str(policy.default.header_factory(name, value))
    except Exception:  # noqa: BLE001
        pass
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # noqa: BLE001
        return " ".join(value.split())


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, address) of every address in these header values."""
    if not values:
        return []
    try:
        return getaddresses(values)
    except Exception:  # noqa: BLE001
        return [("", v) for v in " ".join(values).split(",")]


_MSGID = re.compile(r"<([^<>\s]{1,998})>")


def message_ids(value: str) -> tuple[str, ...]:
    """``<a@b> <c@d>`` -> ("a@b", "c@d"); bare ids are accepted when no brackets are present."""
    found = _MSGID.findall(value)
    if not found:
        found = [tok for tok in value.split() if "@" in tok]
    return tuple(dict.fromkeys(m.strip() for m in found if m.strip()))


_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


def _header_fields(headers: Headers, size: int, errors: list[str]) -> dict[str, Any]:
    """ParsedMessage's header fields, as keyword arguments."""
    senders = _addresses(headers.all("From"))
    from_name, from_address = senders[0] if senders else ("", "")
    recipients: list[str] = []
    for name in _RECIPIENT_HEADERS:
        for _, address in _addresses(headers.all(name)):
            address = address.strip().strip("<>").lower()
            if "@" in address and address not in recipients:
                recipients.append(address)
    mids = message_ids(headers.get("Message-ID"))
    return dict(
        message_id=mids[0][:500] if mids else None,
        in_reply_to=message_ids(" ".join(headers.all("In-Reply-To"))),
        references=message_ids(" ".join(headers.all("References"))),
        from_address=from_address.strip().strip("<>").lower(),
        from_name=from_name.strip(),
        recipients=tuple(recipients),
        subject=" ".join(headers.get("Subject").split()),
        date=_date(headers.get("Date"), errors),
        size=size,
    )


def _date(value: str, errors: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        date = parsedate_to_datetime(value)
    except Exception:  # noqa: BLE001
        errors.append(f"unreadable Date header: {value[:80]!r}")
        return None
    if date.tzinfo is None:  # "-0000": the zone is unknown; read as UTC
        date = date.replace(tzinfo=timezone.utc)
    return date.astimezone(timezone.utc)


# --- body and kind -------------------------------------------------------------------------------

_REPLY_SUBJECT = re.compile(r"^\s*(re|antw|aw|sv|réf|ref|fw|fwd|doorst|wg|tr)\s*:", re.IGNORECASE)


def _parse_full(msg: Message, headers: Headers, fields: dict[str, Any], errors: list[str],
                own: tuple[str, ...]) -> ParsedMessage:
    """The body, reply text and kind; ``fields`` are _header_fields'."""
    for defect in msg.defects[:5]:
        errors.append(f"MIME defect: {type(defect).__name__}")
    body: BodyParts = collect_parts(msg, errors)
    attachments = tuple(
        Attachment(a.filename, a.content_type, len(a.data), hashlib.sha256(a.data).hexdigest(), a.data)
        for a in body.attachments
    )
    try:
        split = replytext.extract(body.text, from_name=fields["from_name"], own_addresses=own)
    except Exception as exc:  # noqa: BLE001 - keep the whole text rather than lose the message
        errors.append(f"reply text extraction failed: {type(exc).__name__}: {exc}"[:300])
        split = replytext.ReplySplit(reply=body.text.strip(), quoted="")
    kind = _kind(msg, headers, body, split, fields, errors, own)
    return ParsedMessage(
        kind=kind.kind, reply_text=split.reply, quoted_text=split.quoted, full_text=body.full_text,
        html_body=body.html, attachments=attachments, bounced_addresses=kind.bounced_addresses,
        bounce_type=kind.bounce_type, bounce_status=kind.bounce_status, bounced_message_id=kind.bounced_message_id,
        auto_reply_reason=kind.auto_reply_reason, errors=tuple(errors), **fields,
    )


@dataclass(frozen=True)
class _Kind:
    kind: str
    bounced_addresses: tuple[str, ...] = ()
    bounce_type: str = ""
    bounce_status: str = ""
    bounced_message_id: str | None = None
    auto_reply_reason: str = ""


def _kind(msg: Message, headers: Headers, body: BodyParts, split: replytext.ReplySplit, fields: dict[str, Any],
          errors: list[str], own: tuple[str, ...]) -> _Kind:
    """Spam, bounce, report, auto-reply, list traffic, empty, else a reaction (in that order)."""
    h = headers.get
    if _is_spam(h):
        return _Kind(KIND_OTHER)
    try:
        bounce = bounces.detect(msg, body, subject=fields["subject"], from_address=fields["from_address"],
                                own_addresses=own + (fields["from_address"],) + fields["recipients"])
    except Exception as exc:  # noqa: BLE001
        errors.append(f"bounce detection failed: {type(exc).__name__}: {exc}"[:300])
        bounce = None
    if bounce is not None:
        return _Kind(KIND_BOUNCE, bounce.addresses, bounce.type, bounce.status, bounce.message_id)
    if body.is_report or bounces.is_delivery_notice(fields["subject"], fields["from_address"], body.full_text):
        # A delivery report that is not a failure (delivered/relayed), a read receipt (MDN, or its
        # plain-text form) and the like.
        return _Kind(KIND_OTHER)
    reason = autoreply.detect(h, fields["subject"], split.reply or body.full_text)
    if reason:
        return _Kind(KIND_AUTO_REPLY, auto_reply_reason=reason)
    if _is_list_traffic(h, fields["in_reply_to"], fields["references"], fields["subject"]):
        return _Kind(KIND_OTHER)
    if not split.reply.strip() and not body.attachments:
        if not body.full_text.strip():
            errors.append("empty message")
        return _Kind(KIND_OTHER)
    return _Kind(KIND_REACTION)


def _is_spam(h: autoreply.HeaderGetter) -> bool:
    if h("X-Spam-Flag").strip().lower().startswith("yes"):
        return True
    if h("X-Spam-Status").strip().lower().startswith("yes"):
        return True
    return h("X-Spam").strip().lower() in {"yes", "true", "spam"}


def _is_list_traffic(h: autoreply.HeaderGetter, in_reply_to: tuple[str, ...], references: tuple[str, ...],
                     subject: str) -> bool:
    """List-Id/List-Post (usually with Precedence list/bulk), or List-Unsubscribe with Precedence
    bulk (marketing mail), and no sign of a person answering us."""
    if not (h("List-Id") or h("List-Post") or (h("List-Unsubscribe") and h("Precedence").strip().lower()
                                               in {"list", "bulk", "junk"})):
        return False
    # A reply marker (In-Reply-To, References, "Re:") means a person answered, perhaps through a
    # list; without one, list headers alone suffice (many lists omit Precedence: list).
    return not (in_reply_to or references or _REPLY_SUBJECT.match(subject))

