"""Inbound mail -> ``ParsedMessage``: headers, text, attachments, kind, reply text.

Pure (no database, no network) and total: ``parse_message`` never raises. Whatever part of the
parser fails, the result is kind ``other`` with the failure named in ``errors`` and as much of the
message as could be read. The stdlib ``email`` package does the MIME work (compat32 parsing, for
speed); display headers are decoded with policy.default's header classes, guarded, with a
fallback to compat32's ``decode_header`` when they raise.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import MISSING, dataclass, fields as dataclass_fields, replace
from typing import Any
from datetime import datetime, timedelta, timezone
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser, Parser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from mailer.inbox import autoreply, bounces, replytext
from mailer.inbox.autoreply import HeaderGetter
from mailer.inbox.parse_mime import BodyParts, collect_parts

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


# ParsedMessage's fields with their defaults, in field order; those without one (kind) must be given.
_PARSED_DEFAULTS: dict[str, Any] = {f.name: f.default for f in dataclass_fields(ParsedMessage)}
_PARSED_REQUIRED = tuple(name for name, default in _PARSED_DEFAULTS.items() if default is MISSING)
_new_object = object.__new__


def _parsed(parts: dict[str, Any], **more: Any) -> ParsedMessage:
    """``ParsedMessage(**parts, **more)``, built without the frozen dataclass's __init__, which
    sets the 21 fields one object.__setattr__ at a time (speed: 3.5 -> 0.7 us a message). The
    instance gets the same dict __init__ gives it: every field, in field order, defaults filled
    in (tests/test_parse.py compares the two). Anything __init__ would refuse (a missing kind, an
    unknown or repeated field) goes to __init__, which raises as before."""
    values = _PARSED_DEFAULTS.copy()
    values.update(parts)
    values.update(more)
    if len(values) != len(_PARSED_DEFAULTS) or not more.keys().isdisjoint(parts):
        return ParsedMessage(**parts, **more)
    for name in _PARSED_REQUIRED:
        if values[name] is MISSING:
            return ParsedMessage(**parts, **more)
    obj = _new_object(ParsedMessage)
    obj.__dict__.update(values)
    return obj


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
        # compat32 for the MIME structure: it is as tolerant as policy.default and about twice as
        # fast here (policy.default re-parses Content-Type & co. with its full header grammar on
        # every access; measured 1.9 ms -> see parse_eval/bench). Display headers are decoded
        # with policy.default's header classes below.
        if oversize:
            msg = BytesHeaderParser(policy=policy.compat32).parsebytes(_header_block(raw))
        else:
            msg = _parse_bytes(raw)
        index = Headers(msg, errors)
        # The header fields as a dict: the ParsedMessage is built once, at the end (speed: a frozen
        # dataclass with 21 fields costs ~2.5 us to build and ~4 us to replace()).
        fields = _header_fields(msg, len(raw), errors, index)
    except Exception as exc:  # noqa: BLE001 - fall back to the header block alone
        try:
            headers = _headers_of(BytesHeaderParser(policy=policy.compat32).parsebytes(_header_block(raw)),
                                  len(raw), errors)
        except Exception:  # noqa: BLE001
            return ParsedMessage(kind=KIND_OTHER, size=len(raw), errors=(f"headers unreadable: {exc!r}"[:300],))
        errors.append(f"MIME structure unreadable: {type(exc).__name__}: {exc}"[:300])
        return replace(headers, kind=KIND_OTHER, errors=tuple(errors))
    if oversize:
        errors.append(f"message larger than {max_bytes} bytes ({len(raw)} bytes); body not parsed")
        return ParsedMessage(kind=KIND_OTHER, errors=tuple(errors), **fields)
    try:
        return _parse_full(msg, fields, errors, own_addresses, index.quiet())
    except RecursionError:
        errors.append("message nested too deeply to parse")
    except Exception as exc:  # noqa: BLE001
        errors.append(f"parser failed: {type(exc).__name__}: {exc}"[:300])
    return ParsedMessage(kind=KIND_OTHER, errors=tuple(errors), **fields)


# --- MIME structure ------------------------------------------------------------------------------

# One header line as the feedparser reads it: its headerRE (email/feedparser.py), up to and with
# the line end; the feedparser splits lines at "\r\n", "\r" and "\n".
_HEADER_LINES = re.compile(r"(?:(?:From |[\041-\071\073-\176]*:|[\t ])[^\r\n]*(?:\r\n|\r|\n))*")


# One header field the way compat32's parser stores it (feedparser._parse_headers with
# Compat32.header_source_parse): the name up to the first ":", the rest of its first line without
# leading spaces and tabs, then every continuation line (starting with a space or tab) as is; the
# line end of the last line is not part of the value.
_HEADER_FIELD = re.compile(r"([\041-\071\073-\176]+):[ \t]*([^\r\n]*(?:(?:\r\n|\r|\n)[\t ][^\r\n]*)*)(?:\r\n|\r|\n)")


def _parse_plain_header_block(head: str) -> Message | None:
    """The Message HeaderParser(policy=compat32).parsestr(head) returns, for a header block made
    of plain fields only; None for anything else (a first line that is a continuation, a "From "
    envelope line, a field without a name: the cases where the stdlib notes a defect or treats
    the line specially), which then goes to the stdlib. ``head`` is a block _HEADER_LINES matched
    in full: every line of it starts with "From ", a space or tab (a continuation), or a name
    of _HEADER_LINES' characters (perhaps none) and ":". Written by hand for speed: the
    feedparser's line machinery cost ~20 us for a reply's ten headers, this ~4 us
    (tests/test_parse.py compares the two)."""
    # Lines start at 0 and after "\n" or a lone "\r"; with none of these shapes at a line start,
    # each line is a field's first line or a continuation, and one findall reads them all
    # (speed: 4.6 -> 2.8 us for a reply's header block, against a match per field).
    if head.startswith(("From ", ":", " ", "\t")) or "\nFrom " in head or "\n:" in head or (
            "\r" in head and ("\rFrom " in head or "\r:" in head)):
        return None
    # "": what the header parser leaves when the block ends with the text
    return _message_of(_HEADER_FIELD.findall(head), "")


def _message_of(fields: list[tuple[str, str]], payload: str) -> Message:
    """A compat32 Message with these (name, value) header fields, in order, and this payload.
    Message.set_raw(name, value) appends (name, value) to msg._headers, the list a new Message
    starts with; a findall's list of pairs is that list, made without a call per field (speed:
    ~2 us a reply's header block)."""
    msg = Message(policy=policy.compat32)
    msg._headers = fields  # type: ignore[attr-defined]
    msg.set_payload(payload)
    return msg


# A header field of a block whose lines all end in "\r\n": _HEADER_FIELD, anchored at a line start.
_CRLF_FIELD = re.compile(r"^([\041-\071\073-\176]+):[ \t]*([^\r\n]*(?:\r\n[\t ][^\r\n]*)*)\r\n", re.MULTILINE)


def _crlf_header_fields(text: str) -> tuple[int, list[tuple[str, str]]] | None:
    """For a text whose header block is plain fields with "\r\n" line ends up to an empty line
    (the usual case): the end of the block (before the empty line) and its fields, which are what
    _parse_bytes finds there with _HEADER_LINES (the block ends at that empty line) and
    _parse_plain_header_block (none of the line starts it turns down; _HEADER_FIELD reads the
    same fields, as "\r" and "\n" come only as "\r\n"). None for anything else.

    The block is known to be plain fields without a pass of _HEADER_LINES over it (speed: ~1.5 us
    a reply): with every "\r" and "\n" in a "\r\n", every line is a field's first line (a name and
    ":" at the line start, which _CRLF_FIELD matches, with any continuation lines after it) or
    a continuation line (a space or tab after "\n"), or neither (the first line starting with a
    space or tab, a "From " or ":" line, a line without ":"). Every line is of the first two
    kinds exactly when the fields found plus the continuation lines are all the lines; and then
    each field takes in the continuation lines after it, so the fields cover the whole block."""
    at = text.find("\r\n\r\n")
    if at < 0:
        return None
    head = text[:at + 2]
    lines = head.count("\n")
    if head.count("\r") != lines or head.count("\r\n") != lines:
        return None
    fields = _CRLF_FIELD.findall(head)
    if len(fields) + head.count("\n ") + head.count("\n\t") != lines:
        return None
    return at + 2, fields


def _parse_bytes(raw: bytes) -> Message:
    """``BytesParser(policy=compat32).parsebytes(raw)``, with a fast path for single-part mail.

    For a message that is not multipart/* or message/*, the feedparser reads the header lines up
    to an empty line and makes the rest of the text the payload, as is. The fast path does the
    same: the header block goes through the stdlib's header parser, the rest is set as the payload
    (speed: the feedparser's line-by-line walk through the body was a quarter of its cost; 33 ->
    24 us a message). It is taken only where the result is the same object the full parse gives
    (tests/test_parse.py compares them): the headers end in an empty line or the end of the text
    (otherwise the feedparser notes a missing separator), the header parser left nothing over (a
    trailing "From " line it hands back as body), and the content type is neither multipart nor
    message. Anything else is parsed in full.
    """
    text = raw.decode("ascii", "surrogateescape")  # what BytesParser.parsebytes does first
    crlf = _crlf_header_fields(text)
    if crlf is not None:  # the usual block: what the code below finds in it, in fewer passes
        end, fields = crlf
        lowered = text[:end].lower()
        if "multipart" in lowered or "message/" in lowered:
            return Parser(policy=policy.compat32).parsestr(text)
        return _message_of(fields, text[end + 2:])
    end = _HEADER_LINES.match(text).end()
    if text.startswith("\r\n", end):
        sep = 2
    elif text.startswith(("\r", "\n"), end):
        sep = 1
    else:
        sep = 0
    if sep or end == len(text):
        head = text[:end]
        lowered = head.lower()
        if "multipart" not in lowered and "message/" not in lowered:  # cheap: those are parsed in full
            msg = _parse_plain_header_block(head)
            # The stdlib's header parser may hand a trailing "From " line back as payload; the
            # plain-field reader never does (it refuses "From " lines). Its fields are pieces of
            # ``head`` (ASCII and surrogates, which lower() leaves alone), so with neither word in
            # ``lowered`` the main type it reads is neither multipart nor message: not asked
            # (speed: ~0.9 us a message).
            if msg is None:
                msg = HeaderParser(policy=policy.compat32).parsestr(head)
                single = msg.get_payload() == "" and msg.get_content_maintype() not in ("multipart", "message")
            else:
                single = True
            if single:
                msg.set_payload(text[end + sep:])
                return msg
    return Parser(policy=policy.compat32).parsestr(text)


# --- headers -------------------------------------------------------------------------------------


def _header_block(raw: bytes) -> bytes:
    """Only the header block, so an oversized message is never parsed beyond its headers."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[: at + len(sep)]
    return raw[: 1024 * 1024]


class Headers:
    """The headers of one message, indexed once, decoded on demand (robust, size-capped)."""

    def __init__(self, msg: Message, errors: list[str] | None = None) -> None:
        raw: dict[str, list[str]] = {}
        self._raw = raw
        self._errors = errors
        # Every name and value a str, as the parsers make them: the index holds the message's own
        # header values, and collect_parts may read them from it (speed: ~0.7 us a message).
        self.plain = True
        for key, value in msg.raw_items():
            if type(key) is not str or type(value) is not str:
                self.plain = False
                key = key if type(key) is str else str(key)
                value = value if isinstance(value, str) else str(value)
            key = key.lower()
            if key in raw:
                raw[key].append(value)
            else:
                raw[key] = [value]

    def all(self, name: str) -> list[str]:
        out: list[str] = []
        for value in self._raw.get(name.lower(), ()):
            if len(value) > MAX_HEADER_CHARS:
                if self._errors is not None:
                    self._errors.append(f"header {name} longer than {MAX_HEADER_CHARS} characters; cut")
                value = value[:MAX_HEADER_CHARS]
            out.append(_decode_header_value(name, value))
        return out

    def get(self, name: str) -> str:
        values = self._raw.get(name.lower())
        if not values:
            return ""
        if len(values) == 1 and len(values[0]) <= MAX_HEADER_CHARS:
            return _decode_header_value(name, values[0])  # self.all(name)[0], without the list (speed)
        return self.all(name)[0]

    def quiet(self) -> "Headers":
        """The same index without error reporting (for second reads of the same headers)."""
        other = Headers.__new__(Headers)
        other._raw, other._errors, other.plain = self._raw, None, self.plain
        return other


def header_values(msg: Message, name: str, errors: list[str] | None = None) -> list[str]:
    """All decoded values of header ``name``; robust against broken encodings and huge values."""
    return Headers(msg, errors).all(name)


def header_value(msg: Message, name: str, errors: list[str] | None = None) -> str:
    return Headers(msg, errors).get(name)


_SURROGATES = re.compile("[\udc80-\udcff]")
_FOLD = re.compile(r"\r?\n[ \t]+")


def _decode_header_value(name: str, value: str) -> str:
    """Unfold and decode one raw header value: RFC 2047 words via policy.default (compat32's
    decode_header if that raises); raw 8-bit bytes (against the RFC, but common) as UTF-8, else
    windows-1252."""
    # isascii() and the "\n" test skip two regex calls for the usual short ASCII value (speed:
    # a dozen header values a message).
    if not value.isascii() and _SURROGATES.search(value):
        data = value.encode("ascii", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("windows-1252", "replace")
    if "=?" not in value:
        return (_FOLD.sub(" ", value) if "\n" in value else value).strip()
    try:
        return str(policy.default.header_factory(name, value))
    except Exception:  # noqa: BLE001 - fall back to compat32-style decoding below
        pass
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # noqa: BLE001
        return re.sub(r"\s+", " ", value).strip()


_MSGID = re.compile(r"<([^<>\s]{1,998})>")


def message_ids(value: str) -> tuple[str, ...]:
    """``<a@b> <c@d>`` -> ("a@b", "c@d"); bare ids are accepted when no brackets are present."""
    if _MSGID.fullmatch(value):  # one "<id>" (most headers): what the lines below make of it (speed)
        return (value[1:-1],)
    found = _MSGID.findall(value)
    if not found:
        found = [tok for tok in value.split() if "@" in tok]
    seen: dict[str, None] = {}
    for mid in found:
        seen.setdefault(mid.strip(), None)
    return tuple(k for k in seen if k)


def _joined_message_ids(values: list[str]) -> tuple[str, ...]:
    """message_ids(" ".join(values)); () without calling it when there are none (speed)."""
    return message_ids(" ".join(values)) if values else ()


# The common shapes of an address header, "a@b.nl" and "Anne de Vries <a@b.nl>", read with one regex;
# anything else (quotes, comments, groups, lists, odd characters) goes to the stdlib's full
# RFC 5322 parser, which costs ~15 us a header and was a fifth of parsing a reply. Both give the
# same (name, address) for what the regex accepts (tests/test_ingest_speed.py compares them).
# A display name is only read in front of "<": without that lookahead the lazy name group took the
# first letter of a bare "reacties@example.org" and every bare address fell through to the stdlib
# (one To header per reply; _headers_of 31 -> 20 us a message).
_SIMPLE_ADDRESS = re.compile(
    r"[ \t]*(?:([A-Za-z0-9\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f' -]*?)[ \t]*(?=<))?"
    r"(<)?([A-Za-z0-9_%+=-]+(?:\.[A-Za-z0-9_%+=-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?(2)>|)[ \t]*"
)


def fast_parseaddr(value: str) -> tuple[str, str]:
    """``email.utils.parseaddr`` with a fast path for the common shapes."""
    m = _SIMPLE_ADDRESS.fullmatch(value)
    if m is not None and (m.group(2) or not m.group(1)):
        return " ".join((m.group(1) or "").split()), m.group(3)
    return parseaddr(value)


def _fast_getaddresses(values: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for value in values:
        m = _SIMPLE_ADDRESS.fullmatch(value)
        if m is None or not (m.group(2) or not m.group(1)):
            return getaddresses(values)
        pairs.append((" ".join((m.group(1) or "").split()), m.group(3)))
    return pairs


def _addresses(values: list[str]) -> list[str]:
    out: list[str] = []
    try:
        pairs = _fast_getaddresses(values)
    except Exception:  # noqa: BLE001
        pairs = [("", v) for v in " ".join(values).split(",")]
    for _name, addr in pairs:
        addr = addr.strip().strip("<>").lower()
        if "@" in addr and addr not in out:
            out.append(addr)
    return out


# The RFC 5322 date almost every client writes, "Fri, 13 Nov 2026 10:30:00 +0100".
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_PLAIN_DATE = re.compile(r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                         r" ([1-9][0-9]{3}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})")


# The zone of a "+hhmm" offset, made once per offset (a timezone is immutable and compares by
# its offset; making it cost ~0.4 us a message). Bounded, though there are few offsets in use.
_ZONES: dict[str, timezone] = {}


def _parsedate_to_datetime(value: str) -> datetime:
    """``email.utils.parsedate_to_datetime``, read with one regex for the common shape (speed:
    2.8 -> 1.8 us a message; tests/test_parse.py compares the two). Its arithmetic is the
    stdlib's: "-0000" means an unknown zone (a naive datetime), the offset is hours * 3600 +
    minutes * 60. Anything else, or anything datetime refuses, goes to the stdlib."""
    m = _PLAIN_DATE.fullmatch(value)
    if m is not None:
        day, month, year, hour, minute, second, sign, zh, zm = m.groups()
        try:
            if sign == "-" and zh == "00" and zm == "00":
                return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
            zone = _ZONES.get(sign + zh + zm)
            if zone is None:
                offset = int(zh) * 3600 + int(zm) * 60
                zone = timezone(timedelta(seconds=-offset if sign == "-" else offset))
                if len(_ZONES) < 512:
                    _ZONES[sign + zh + zm] = zone
            return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone)
        except (ValueError, OverflowError):
            pass
    return parsedate_to_datetime(value)


def _headers_of(msg: Message, size: int, errors: list[str], hdr: Headers | None = None) -> ParsedMessage:
    return ParsedMessage(kind=KIND_OTHER, **_header_fields(msg, size, errors, hdr))


_RECIPIENT_HEADERS = tuple((name, name.lower()) for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"))


def _header_fields(msg: Message, size: int, errors: list[str], hdr: Headers | None = None) -> dict[str, Any]:
    """ParsedMessage's header fields, as keyword arguments."""
    hdr = Headers(msg, errors) if hdr is None else hdr
    from_raw = hdr.get("From")
    try:
        from_name, from_address = fast_parseaddr(from_raw)
    except Exception:  # noqa: BLE001
        from_name, from_address = "", ""
    recipients: list[str] = []
    present = hdr._raw
    for name, key in _RECIPIENT_HEADERS:
        if key not in present:  # most are absent: skip the address machinery (speed)
            continue
        values = hdr.all(name)
        for addr in _addresses(values):
            if addr not in recipients:
                recipients.append(addr)
    mids = message_ids(hdr.get("Message-ID"))
    date: datetime | None = None
    date_raw = hdr.get("Date")
    if date_raw:
        try:
            date = _parsedate_to_datetime(date_raw)
            if date.tzinfo is None:
                date = date.replace(tzinfo=timezone.utc)
            date = date.astimezone(timezone.utc)
        except Exception:  # noqa: BLE001
            errors.append(f"unreadable Date header: {date_raw[:80]!r}")
            date = None
    return dict(
        message_id=mids[0] if mids else None,
        in_reply_to=_joined_message_ids(hdr.all("In-Reply-To")),
        references=_joined_message_ids(hdr.all("References")),
        from_address=from_address.strip().lower(),
        from_name=from_name.strip(),
        recipients=tuple(recipients),
        subject=" ".join(hdr.get("Subject").split()),  # re.sub(r"\s+", " ", ...).strip(), without the regex
        date=date,
        size=size,
    )


# --- body and kind -------------------------------------------------------------------------------

_REPLY_SUBJECT = re.compile(r"^\s*(re|antw|aw|sv|réf|ref|fw|fwd|doorst|wg|tr)\s*:", re.IGNORECASE)


def _parse_full(msg: Message, fields: dict[str, Any], errors: list[str], own: tuple[str, ...],
                index: Headers | None = None) -> ParsedMessage:
    """The body, reply text and kind; ``fields`` are _header_fields' (the ParsedMessage is built
    once, here)."""
    for defect in getattr(msg, "defects", [])[:5]:
        errors.append(f"MIME defect: {type(defect).__name__}")
    body: BodyParts = collect_parts(msg, errors, index._raw if index is not None and index.plain else None)
    attachments = tuple(
        Attachment(a.filename, a.content_type, len(a.data), hashlib.sha256(a.data).hexdigest(), a.data)
        for a in body.attachments
    ) if body.attachments else ()
    text = body.text
    try:
        split = replytext.extract(text, from_name=fields["from_name"], own_addresses=own)
    except Exception as exc:  # noqa: BLE001 - keep the whole text rather than lose the message
        errors.append(f"reply text extraction failed: {type(exc).__name__}: {exc}"[:300])
        split = replytext.ReplySplit(reply=text.strip(), quoted="")
    parts = dict(
        fields,
        reply_text=split.reply,
        quoted_text=split.quoted,
        full_text=body.full_text,
        html_body=body.html,
        attachments=attachments,
    )
    own_lower = _lowered(own)

    index = index or Headers(msg)  # the index parse_message built, without error reporting
    # One set test for the ~13 look-ups of _is_spam, autoreply.detect and _is_list_traffic, which
    # all answer "" on most mail (none of their headers present); then the spam and list tests
    # are known False and autoreply.detect gets a getter without the look-ups (speed: see
    # _KIND_HEADERS; tests/test_parse.py checks the set against the names they ask for).
    with_kind_headers = not _KIND_HEADERS.isdisjoint(index._raw)
    h = index.get if with_kind_headers else _no_header

    if with_kind_headers and _is_spam(h):
        return _parsed(parts, kind=KIND_OTHER, errors=tuple(errors))
    try:
        bounce = bounces.detect(msg, body, subject=fields["subject"], from_address=fields["from_address"],
                                own_addresses=own_lower + (fields["from_address"],) + fields["recipients"],
                                from_header=_raw_from(index))
    except Exception as exc:  # noqa: BLE001
        errors.append(f"bounce detection failed: {type(exc).__name__}: {exc}"[:300])
        bounce = None
    if bounce is not None:
        return _parsed(
            parts,
            kind=KIND_BOUNCE,
            bounced_addresses=bounce.addresses,
            bounce_type=bounce.type,
            bounce_status=bounce.status,
            bounced_message_id=bounce.message_id,
            errors=tuple(errors),
        )
    if body.is_report or bounces.is_delivery_notice(fields["subject"], fields["from_address"], body.full_text):
        # A delivery report that is not a failure (delivered/relayed), a read receipt (MDN, or its
        # plain-text form) and the like.
        return _parsed(parts, kind=KIND_OTHER, errors=tuple(errors))
    reason = autoreply.detect(h, fields["subject"], split.reply or body.full_text)
    if reason:
        return _parsed(parts, kind=KIND_AUTO_REPLY, auto_reply_reason=reason, errors=tuple(errors))
    if with_kind_headers and _is_list_traffic(h, fields["in_reply_to"], fields["references"], fields["subject"]):
        return _parsed(parts, kind=KIND_OTHER, errors=tuple(errors))
    if not split.reply.strip() and not attachments:
        if not body.full_text.strip():
            errors.append("empty message")
        return _parsed(parts, kind=KIND_OTHER, errors=tuple(errors))
    return _parsed(parts, kind=KIND_REACTION, errors=tuple(errors))


def _raw_from(index: Headers) -> str | None:
    """``msg.get("From", "")`` of the indexed message, read from its index; None where that is
    not known to be the same. compat32's Message.get hands back the first value whose name
    lower-cases to "from", as is when it is a str without surrogates (ASCII is), else a Header;
    the index of a message with only str names and values (``plain``) holds those values in
    order; without one, get gives "" (tests/test_parse.py compares the two)."""
    if not index.plain:
        return None
    values = index._raw.get("from")
    if not values:
        return ""
    return values[0] if values[0].isascii() else None


# Every header (lower-cased) that _is_spam, autoreply.detect and _is_list_traffic read. Without
# any of them in a message's index, each of their look-ups answers "": _is_spam and
# _is_list_traffic answer False (both need one of them to say yes), and autoreply.detect decides
# on the subject and text alone (speed: Headers.get ~13 times a message, ~2 us).
_KIND_HEADERS = frozenset((
    "x-spam-flag", "x-spam-status", "x-spam",  # _is_spam
    "auto-submitted", "x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply", "precedence",
    "x-auto-response-suppress",  # autoreply.detect
    "list-id", "list-post", "list-unsubscribe",  # _is_list_traffic (and precedence)
))


def _no_header(name: str) -> str:
    """Headers.get for a message without the header asked for."""
    return ""


_OWN_LOWERED: tuple[Any, tuple[str, ...]] = (None, ())  # (the last own tuple, its addresses lower-cased)


def _lowered(own: tuple[str, ...]) -> tuple[str, ...]:
    """``tuple(a.lower() for a in own)``, made once for the tuple the Filer passes with every
    message (the same object; a tuple of strings cannot change). One (tuple, result) pair, read
    and replaced whole, so threads never see half of one."""
    global _OWN_LOWERED
    last, lowered = _OWN_LOWERED
    if last is own:
        return lowered
    lowered = tuple(a.lower() for a in own)
    if type(own) is tuple and all(type(a) is str for a in own):
        _OWN_LOWERED = (own, lowered)
    return lowered


def _is_spam(h: HeaderGetter) -> bool:
    if h("X-Spam-Flag").strip().lower().startswith("yes"):
        return True
    if h("X-Spam-Status").strip().lower().startswith("yes"):
        return True
    return h("X-Spam").strip().lower() in {"yes", "true", "spam"}


def _is_list_traffic(h: HeaderGetter, in_reply_to: tuple[str, ...], references: tuple[str, ...], subject: str) -> bool:
    """List-Id/List-Post (usually with Precedence list/bulk), or List-Unsubscribe with Precedence
    bulk (marketing mail), and no sign of a person answering us."""
    if not (h("List-Id") or h("List-Post") or (h("List-Unsubscribe") and h("Precedence").strip().lower()
                                               in {"list", "bulk", "junk"})):
        return False
    # A reply marker (In-Reply-To, References, "Re:") means a person answered, perhaps through a
    # list; without one, list headers alone suffice (many lists omit Precedence: list).
    return not (in_reply_to or references or _REPLY_SUBJECT.match(subject))
