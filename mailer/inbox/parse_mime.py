"""Walk a parsed MIME tree defensively: body text, HTML, attachments and bounce report parts.

The tree walk is written by hand (not ``Message.walk``) because it has to choose one branch of a
``multipart/alternative``, stop at a depth limit, treat ``message/rfc822`` and
``message/delivery-status`` parts as data rather than as body, and survive any broken part.
"""

from __future__ import annotations

import codecs
import re
from binascii import a2b_qp
from functools import lru_cache
from io import IncrementalNewlineDecoder
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any, cast
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


def collect_parts(msg: Message, errors: list[str], headers: dict[str, list[str]] | None = None) -> BodyParts:
    """``headers``, if given: the message's header values by lower-cased name, in order, as they
    are in the message (parse.Headers' index of a message whose names and values are all str)."""
    out = BodyParts()
    single = _single_text_plain(msg, headers)
    if single is not None:  # a one-part text/plain message (most replies): what _visit collects
        data, (declared, flowed, delsp) = single
        text = _decode_bytes(data, declared, errors)
        plains: list[str] = [unflow(text, delsp) if flowed else text]
        htmls: list[str] = []
    else:
        ctype = None
        try:
            ctype = msg.get_content_type()
            out.is_report = ctype == "multipart/report"
            out.report_type = str(msg.get_param("report-type", "") or "").lower() if out.is_report else ""
        except Exception:  # noqa: BLE001
            pass
        col = _Collector()
        _visit(msg, 0, col, errors, in_report=out.is_report, ctype=ctype)
        out.attachments = col.attachments
        out.delivery_status = col.delivery_status
        out.returned_headers = col.returned_headers
        plains, htmls = col.plain, col.html
    # _has_text(x) is bool(x.strip()) without copying the text (speed: ~1 us a message).
    # One plain part and no HTML (most replies): the joins below without their generators (speed).
    out.html = "\n".join(h for h in htmls if _has_text(h)) if htmls else ""
    if len(plains) == 1:
        plain = plains[0].strip("\n") if _has_text(plains[0]) else ""
    else:
        plain = "\n\n".join(p.strip("\n") for p in plains if _has_text(p))
    if _has_text(plain):
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


_UNREAD = object()


class _ParamsRead:
    """A part whose Content-Type parameters are read once, for the several questions asked of them
    (charset, format, delsp, name). Message.get_param parses the header again on every call, which
    made 4 parses of the same header a message (speed: collect_parts 31 -> 21 us a message).
    get_content_charset and get_filename are the stdlib's own, run on this object; everything
    else goes to the part itself."""

    def __init__(self, part: Message, no_disposition: bool = False) -> None:
        self._part = part
        self._no_disposition = no_disposition  # the part has no Content-Disposition header
        self.get_payload = part.get_payload  # asked for twice a part: not through __getattr__ (speed)
        self._params: Sequence[tuple[str, Any]] | object | None
        try:
            value = part.get("content-type")
            if type(value) is str and len(value) <= 300:
                self._params = _content_type_params(value)
            else:  # None: no Content-Type header; a Header object: a value with raw 8-bit bytes
                self._params = part.get_params(None)
        except Exception:  # noqa: BLE001 - ask the part itself, call by call, as before
            self._params = _UNREAD

    def __getattr__(self, name: str) -> Any:
        return getattr(self._part, name)

    def get_param(self, param: str, failobj: Any = None, header: str = "content-type", unquote: bool = True) -> Any:
        if self._no_disposition and header.lower() == "content-disposition":
            return failobj  # Message.get_param: "if header not in self: return failobj" (get_filename asks)
        if self._params is _UNREAD or not unquote or header.lower() != "content-type":
            return self._part.get_param(param, failobj, header, unquote)
        if self._params is None:
            return failobj
        param = param.lower()
        for key, value in cast("Sequence[tuple[str, Any]]", self._params):  # Message.get_param: the first match
            if key.lower() == param:
                return value
        return failobj

    get_content_charset = Message.get_content_charset
    get_filename = Message.get_filename


@lru_cache(maxsize=512)
def _content_type_params(value: str) -> tuple[tuple[str, Any], ...]:
    """``part.get_params()`` of a part whose Content-Type header is ``value`` (a plain string, as
    compat32's Message.get hands it back): the stdlib's own reading, on a message holding only
    that header, remembered per value (speed: most mail says 'text/plain; charset="utf-8"' or a
    handful of others, and reading the parameters costs ~4 us a part; collect_parts 17.5 -> 14 us
    a message). Keyed on the whole value, so the answer is the one get_params gives for it."""
    probe = Message(policy=policy.compat32)
    probe.set_raw("Content-Type", value)
    return tuple(probe.get_params() or ())


# The Content-Transfer-Encodings Message.get_payload(decode=True) decodes with more than a2b_qp.
_OTHER_CTES = frozenset(("base64", "x-uuencode", "uuencode", "uue", "x-uue"))


def _single_text_plain(msg: Message, headers: dict[str, list[str]] | None = None
                       ) -> tuple[bytes, tuple[str, bool, bool]] | None:
    """For a message that is one text/plain part without Content-Disposition (most replies): its
    payload bytes and _text_plain_reading's (charset, flowed, delsp), which is what _visit reads
    from it with the compat32 Message machinery (get_content_type, get('content-disposition'),
    _ParamsRead, get_filename, get_payload(decode=True), get_content_charset; speed: collect_parts
    13.0 -> 7.9 us a message). The payload bytes are Message.get_payload(decode=True)'s: the header
    values it reads are the first of each name, handed back unchanged by compat32 when they are
    ASCII strings; the payload is bytes as get_payload makes them (ASCII, or surrogate-escaped
    8-bit bytes), through binascii.a2b_qp (quopri.decodestring) for quoted-printable and as is
    for any other encoding but base64 and uuencode. None, and the full walk, for anything else:
    another policy or Message class, a multipart or non-string payload, a Content-Disposition,
    a non-ASCII or long Content-Type or Content-Transfer-Encoding value, base64 or uuencode, a
    payload get_payload would not encode this way, a type other than text/plain, a file name.
    ``headers``, when given, is the parser's index of the message's headers (lower-cased name ->
    raw values in order), from which the first values are read instead of a loop over the headers.
    tests/test_parse.py compares this with the full walk."""
    if type(msg) is not Message or msg.policy is not policy.compat32:
        return None
    payload = msg._payload  # type: ignore[attr-defined]
    if type(payload) is not str:
        return None
    ctype = cte = None
    if headers is not None:  # collect_parts' index of the headers: the same first values
        if "content-disposition" in headers:
            return None
        values = headers.get("content-type")
        if values:
            ctype = values[0]
        values = headers.get("content-transfer-encoding")
        if values:
            cte = values[0]
    else:
        for name, value in msg._headers:  # type: ignore[attr-defined]  # Message.get: the first of a name
            if type(name) is not str:
                return None
            name = name.lower()
            if name == "content-type":
                if ctype is None:
                    ctype = value
            elif name == "content-transfer-encoding":
                if cte is None:
                    cte = value
            elif name == "content-disposition":
                return None
    if ctype is None:
        if msg.get_default_type() != "text/plain":
            return None
    elif type(ctype) is not str or not ctype.isascii() or len(ctype) > 300:
        return None
    if cte is None:
        cte = ""
    elif type(cte) is not str or not cte.isascii():
        return None
    else:
        cte = cte.lower()
        if cte in _OTHER_CTES:
            return None
    reading = _text_plain_reading(ctype)
    if reading is None:
        return None
    if payload.isascii():
        # a2b_qp reads an ASCII str as its bytes: the encode get_payload does is not needed.
        data = a2b_qp(payload) if cte == "quoted-printable" else payload.encode("ascii")
    else:
        try:
            data = payload.encode("ascii", "surrogateescape")  # get_payload's, for 8-bit bytes
        except UnicodeEncodeError:
            return None  # other characters (a message made from a str): get_payload decides
        if cte == "quoted-printable":
            data = a2b_qp(data)
    return data, reading


@lru_cache(maxsize=256)
def _text_plain_reading(value: str | None) -> tuple[str, bool, bool] | None:
    """What _visit and decode_text read from a part without Content-Disposition whose first
    Content-Type header is ``value`` (None: no such header, and a default type of text/plain):
    (declared charset, format=flowed, delsp=yes) for a text/plain part without a file name, None
    for anything else. Read with their own code on a message holding only that header, so the
    answers are theirs, and remembered per value (a handful are in use)."""
    probe = Message(policy=policy.compat32)
    if value is not None:
        probe.set_raw("Content-Type", value)
    if _ctype(probe) != "text/plain":
        return None
    part: Any = _ParamsRead(probe, no_disposition=True)
    if _filename(part):
        return None  # an attachment, or inline: _visit decides
    return _declared_charset(part), *_flowed(part)


_UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\]")


def _has_text(text: str) -> bool:
    """``bool(text.strip())``: not empty and not only whitespace."""
    return bool(text) and not text.isspace()


def _ctype(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "text/plain"


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


def _visit(part: Message, depth: int, col: _Collector, errors: list[str], in_report: bool,
           ctype: str | None = None) -> None:
    if depth > MAX_DEPTH:
        note = f"MIME nesting deeper than {MAX_DEPTH} levels; deeper parts ignored"
        if note not in errors:
            errors.append(note)
        return
    if ctype is None:
        ctype = _ctype(part)
    if ctype.startswith("multipart/"):
        children = part.get_payload()
        if not isinstance(children, list):
            # A multipart without (valid) boundaries: read it as text rather than lose it.
            col.plain.append(decode_text(part, errors))
            return
        if ctype == "multipart/alternative":
            _visit_alternative(children, depth, col, errors, in_report)
            return
        for child in children:
            if isinstance(child, Message):
                _visit(child, depth + 1, col, errors, in_report)
        return
    if ctype in ("message/rfc822", "message/global"):
        _visit_message(part, col, errors, in_report)
        return
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        col.delivery_status += dsn_blocks(part)
        return
    if ctype in ("text/rfc822-headers", "text/rfc822-header", "message/global-headers"):
        text = decode_text(part, errors)
        col.returned_headers.append(BytesHeaderParser(policy=policy.compat32).parsebytes(
            text.encode("utf-8", "replace")))
        return
    # Without a Content-Disposition header (most parts) its reading is "", and get_filename's
    # question about it has its answer without a second search of the headers (speed: ~1 us a part).
    try:
        no_disposition = part.get("content-disposition") is None
    except Exception:  # noqa: BLE001
        no_disposition = False
    disposition = "" if no_disposition else _disposition(part)
    part = _ParamsRead(part, no_disposition)  # type: ignore[assignment]
    filename = _filename(part)
    is_text = ctype in ("text/plain", "text/html")
    if disposition == "attachment" or not is_text or (filename and disposition != "inline"):
        data = _payload_bytes(part)
        if data or filename:
            col.attachments.append(RawAttachment(filename or _default_name(ctype), ctype, data))
        return
    text = decode_text(part, errors)
    if ctype == "text/html":
        col.html.append(text)
    else:
        flowed, delsp = _flowed(part)
        col.plain.append(unflow(text, delsp) if flowed else text)


def _visit_alternative(children: list[Message | str] | list[Any], depth: int, col: _Collector, errors: list[str], in_report: bool) -> None:
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
    payload = part.get_payload()
    blocks: list[list[tuple[str, str]]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                blocks.append([(str(k), str(v)) for k, v in block.raw_items()])
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
    return _decode_bytes(_payload_bytes(part), _declared_charset(part), errors)


def _declared_charset(part: Message) -> str:
    """The part's charset parameter, lower-cased ("" when absent or unreadable)."""
    try:
        return (part.get_content_charset() or "").strip().lower()
    except Exception:  # noqa: BLE001
        return ""


def _flowed(part: Message) -> tuple[bool, bool]:
    """(format=flowed, delsp=yes) of a text/plain part (both False when unreadable)."""
    try:
        return (str(part.get_param("format", "") or "").lower() == "flowed",
                str(part.get_param("delsp", "") or "").lower() == "yes")
    except Exception:  # noqa: BLE001
        return False, False


def _decode_bytes(data: bytes, declared: str, errors: list[str]) -> str:
    """decode_text's decoding of a part's payload bytes, ``declared`` its charset (or "")."""
    charset = _CHARSET_ALIASES.get(declared, declared) or "utf-8"
    if charset not in ("utf-8", "utf8"):  # codecs knows these (speed: the look-up on most mail)
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
    if "\x00" in text:
        text = text.replace("\x00", "")
    if "\r" in text:  # the test is one scan; the translation is another (speed: ~1 us a 2 kB text)
        # text.replace("\r\n", "\n").replace("\r", "\n") in one pass: the universal newline
        # translation of io's text layer, at the end of the input (final: a last "\r" is a line
        # end too). replace("\r\n", ...) finds one line end at a time (speed: 4.3 -> 2.4 us for a
        # 2 kB text of 40 lines; tests/test_parse.py compares the two).
        text = IncrementalNewlineDecoder(None, translate=True).decode(text, final=True)
    return text


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
