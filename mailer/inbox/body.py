"""The MIME tree of a parsed message: body text, HTML, attachments and bounce report parts.

A walk over ``is_multipart()`` and ``get_payload()`` rather than ``get_body()`` and
``iter_attachments()``: it takes the plain branch of a ``multipart/alternative`` only when that
branch has text, stops at a depth limit, reads ``message/rfc822`` and delivery-status parts as
report data rather than as body, and survives any broken part.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser

from mailer.inbox import text_html

MAX_DEPTH = 40
MAX_TEXT_CHARS = 2_000_000  # text handed on for reply extraction; longer bodies are cut (noted)
MAX_HTML_CONVERT = 3_000_000  # HTML longer than this is not converted to text (noted)

# Outlook and many webmail clients label windows-1252 text as ISO-8859-1; decode as the superset,
# the way browsers do (WHATWG encoding standard).
_CHARSET_ALIASES = {"iso-8859-1": "windows-1252", "latin1": "windows-1252", "latin-1": "windows-1252",
                    "us-ascii": "utf-8", "ascii": "utf-8", "unicode-1-1-utf-7": "utf-7"}
_REPORT_TYPES = ("message/delivery-status", "message/global-delivery-status")
_HEADER_TYPES = ("text/rfc822-headers", "text/rfc822-header", "message/global-headers")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\]")


@dataclass
class RawAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class BodyParts:
    """What the rest of the parser needs from the MIME tree."""

    text: str = ""  # text for reply extraction (HTML-only mails: quotes marked with "> ")
    full_text: str = ""  # whole body as clean text
    html: str = ""  # original HTML, untrusted
    attachments: list[RawAttachment] = field(default_factory=list)
    delivery_status: list[list[tuple[str, str]]] = field(default_factory=list)  # DSN field blocks
    returned_headers: list[Message] = field(default_factory=list)  # header blocks of returned originals
    is_report: bool = False
    report_type: str = ""


@dataclass
class _Collector:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[RawAttachment] = field(default_factory=list)
    delivery_status: list[list[tuple[str, str]]] = field(default_factory=list)
    returned_headers: list[Message] = field(default_factory=list)

    def merge(self, other: "_Collector", text: bool = True) -> None:
        if text:
            self.plain += other.plain
            self.html += other.html
        self.attachments += other.attachments
        self.delivery_status += other.delivery_status
        self.returned_headers += other.returned_headers


def collect_parts(msg: Message, errors: list[str]) -> BodyParts:
    """Walk ``msg`` (never raises for a broken part; what went wrong is added to ``errors``)."""
    out = BodyParts()
    ctype = content_type(msg)
    out.is_report = ctype == "multipart/report"
    if out.is_report:
        out.report_type = _param(msg, "report-type").lower()
    col = _Collector()
    _visit(msg, 0, col, errors, out.is_report)
    out.attachments = col.attachments
    out.delivery_status = col.delivery_status
    out.returned_headers = col.returned_headers
    out.html = "\n".join(h for h in col.html if h.strip())
    plain = "\n\n".join(p.strip("\n") for p in col.plain if p.strip())
    if plain.strip():
        out.text = out.full_text = plain
    elif out.html:
        if len(out.html) > MAX_HTML_CONVERT:
            errors.append(f"HTML body longer than {MAX_HTML_CONVERT} characters; not converted to text")
        else:
            try:
                out.text = text_html.html_to_marked_text(out.html)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"HTML quote marking failed: {type(exc).__name__}")
            try:
                out.full_text = text_html.html_to_text(out.html)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"HTML to text failed: {type(exc).__name__}")
            if not out.text:
                out.text = out.full_text
    if len(out.text) > MAX_TEXT_CHARS:
        errors.append(f"body text longer than {MAX_TEXT_CHARS} characters; reply text taken from the start")
        out.text = out.text[:MAX_TEXT_CHARS]
    return out


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "text/plain"


def _param(part: Message, name: str) -> str:
    try:
        return str(part.get_param(name, "") or "")
    except Exception:  # noqa: BLE001
        return ""


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        return ""


def _filename(part: Message) -> str:
    try:
        name = str(part.get_filename() or "")
        if "=?" in name:  # RFC 2047 inside a parameter: wrong, but Outlook and others do it
            name = str(make_header(decode_header(name)))
    except Exception:  # noqa: BLE001
        name = ""
    return _UNSAFE_NAME.sub("_", name).strip()[:255] if name else ""


def _visit(part: Message, depth: int, col: _Collector, errors: list[str], in_report: bool) -> None:
    if depth > MAX_DEPTH:
        note = f"MIME nesting deeper than {MAX_DEPTH} levels; deeper parts ignored"
        if note not in errors:
            errors.append(note)
        return
    ctype = content_type(part)
    if ctype.startswith("multipart/"):
        children = part.get_payload()
        if not isinstance(children, list):
            # A multipart without (valid) boundaries: read it as text rather than lose it.
            col.plain.append(decode_text(part, errors))
        elif ctype == "multipart/alternative":
            _visit_alternative(children, depth, col, errors, in_report)
        else:
            for child in children:
                if isinstance(child, Message):
                    _visit(child, depth + 1, col, errors, in_report)
        return
    if ctype in ("message/rfc822", "message/global"):
        _visit_message(part, col, errors, in_report)
        return
    if ctype in _REPORT_TYPES:
        col.delivery_status += dsn_blocks(part)
        return
    if ctype in _HEADER_TYPES:
        text = decode_text(part, errors)
        col.returned_headers.append(BytesHeaderParser(policy=policy.default).parsebytes(
            text.encode("utf-8", "replace")))
        return
    disposition = _disposition(part)
    filename = _filename(part)
    if disposition == "attachment" or ctype not in ("text/plain", "text/html") or (filename and disposition != "inline"):
        data = _payload_bytes(part)
        if data or filename:
            col.attachments.append(RawAttachment(filename or _default_name(ctype), ctype, data))
        return
    text = decode_text(part, errors)
    if ctype == "text/html":
        col.html.append(text)
    elif _param(part, "format").lower() == "flowed":
        col.plain.append(unflow(text, _param(part, "delsp").lower() == "yes"))
    else:
        col.plain.append(text)


def _visit_alternative(children: list[Any], depth: int, col: _Collector, errors: list[str],
                       in_report: bool) -> None:
    subs: list[_Collector] = []
    for child in children:
        if isinstance(child, Message):
            sub = _Collector()
            _visit(child, depth + 1, sub, errors, in_report)
            subs.append(sub)
    chosen = next((s for s in subs if any(p.strip() for p in s.plain)), None)
    for sub in subs:
        col.merge(sub, text=False)
        col.html += sub.html  # keep the HTML for html_body even when the plain part wins
    if chosen is not None:
        col.plain += chosen.plain


def _visit_message(part: Message, col: _Collector, errors: list[str], in_report: bool) -> None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
    if inner is not None:
        col.returned_headers.append(inner)
    if not in_report and (_disposition(part) == "attachment" or inner is None):
        try:
            data = inner.as_bytes(policy=policy.compat32) if inner is not None else _payload_bytes(part)
        except Exception:  # noqa: BLE001
            data = _payload_bytes(part)
        col.attachments.append(RawAttachment(_filename(part) or "message.eml", "message/rfc822", data))


def dsn_blocks(part: Message) -> list[list[tuple[str, str]]]:
    """The field blocks of a delivery-status part: [(name, value), ...] per recipient (and one
    for the reporting MTA)."""
    payload = part.get_payload()
    blocks: list[list[tuple[str, str]]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                try:
                    blocks.append([(str(k), str(v)) for k, v in block.items()])
                except Exception:  # noqa: BLE001 - a block with an unreadable field gives nothing
                    continue
        return blocks
    text = payload if isinstance(payload, str) else ""
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        fields = re.findall(r"^([A-Za-z][\w-]*):[ \t]*(.*(?:\r?\n[ \t]+.*)*)", chunk, flags=re.MULTILINE)
        if fields:
            blocks.append([(k, v) for k, v in fields])
    return blocks


def _default_name(ctype: str) -> str:
    return "attachment." + (ctype.split("/", 1)[-1][:20] or "bin")


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def decode_text(part: Message, errors: list[str]) -> str:
    """Decode a text part; unknown or lying charsets never stop us (errors=replace)."""
    try:
        declared = (part.get_content_charset() or "").strip().lower()
    except Exception:  # noqa: BLE001
        declared = ""
    return decode_bytes(_payload_bytes(part), declared, errors)


def decode_bytes(data: bytes, declared: str, errors: list[str]) -> str:
    """Text of a part's payload bytes in its ``declared`` charset (or ""); line ends as "\\n"."""
    charset = _CHARSET_ALIASES.get(declared, declared) or "utf-8"
    try:
        codecs.lookup(charset)
    except (LookupError, ValueError):
        errors.append(f"unknown charset {declared[:40]!r}; decoded as UTF-8")
        charset = "utf-8"
    if charset in ("utf-8", "utf8"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Declared (or assumed) UTF-8 but not: single-byte Western text is by far the most common.
            if declared and declared not in ("us-ascii", "ascii"):
                errors.append(f"text declared {declared} is not valid {declared}; decoded as windows-1252")
            text = data.decode("windows-1252", errors="replace")
    else:
        try:
            text = data.decode(charset, errors="replace")
        except Exception:  # noqa: BLE001 - some codecs raise despite errors=replace
            text = data.decode("utf-8", errors="replace")
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def unflow(text: str, delsp: bool = False) -> str:
    """RFC 3676 format=flowed: join soft line breaks (a line ending in a space), per quote depth."""
    out: list[str] = []
    buf = ""
    buf_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        if body.startswith(" "):
            body = body[1:]  # space-stuffing
        if buf and depth == buf_depth:
            buf += body
        else:
            if buf_depth >= 0:
                out.append(_quote_prefix(buf_depth) + buf)
            buf, buf_depth = body, depth
        if body.endswith(" ") and body.rstrip() != "--":
            if delsp:
                buf = buf[:-1]
            continue
        out.append(_quote_prefix(buf_depth) + buf)
        buf, buf_depth = "", -1
    if buf_depth >= 0:
        out.append(_quote_prefix(buf_depth) + buf)
    return "\n".join(out)


def _quote_prefix(depth: int) -> str:
    return ("> " * depth) if depth else ""
