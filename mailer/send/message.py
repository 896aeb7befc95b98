"""One newsletter message per recipient, as bytes (CRLF line ends, DKIM-signed when configured).

Built once per newsletter: the fixed headers (with the email package and ``policy.SMTP``) and both
bodies as quoted-printable *templates*: compose's literal pieces, each encoded once. Per recipient
only a few short headers are formatted and the recipient's values are encoded alone, each between
two soft line breaks (``=`` CRLF, which decodes to nothing), then everything is joined. Encoding a
whole 40 KB body per recipient would cost more than the rest of a send together.

The values are compose's own, escaped by compose: ``_ValueProbe`` renders a copy of the compiled
newsletter whose template is just the values, separated by NUL (which no value can hold).

An issue with embedded images sends the HTML in a ``multipart/related`` part beside its images (base64,
each with the Content-ID its ``<img src="cid:...">`` names); those parts are encoded once too.

Two more things the encoding guarantees, so later steps can skip a pass over every message: no line
starts with a dot (SMTP dot-stuffing is not needed) and the bodies hold no tabs, runs of spaces or
trailing white space (DKIM's relaxed body canonicalisation leaves them unchanged).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Protocol

from .. import links, tokens
from ..compose.images import InlinePart
from ..compose.model import Newsletter, Personalisation, RenderedParts
from ..compose.personal import personalisation
from ..compose.render import CompiledNewsletter
from ..config import Config

CRLF = b"\r\n"
SOFT = b"=\r\n"   # a quoted-printable soft line break
SEP = "\x00"
_WHITE_RUN = re.compile(rb"\t|  +")
_PLAIN = re.compile(r"[!-<>-~]+(?: [!-<>-~]+)*\Z")   # printable ASCII, single spaces, no '='


class Signer(Protocol):
    def sign(self, message: bytes, *, body_is_relaxed: bool = False) -> bytes: ...


@dataclass(frozen=True)
class Recipient:
    """One delivery, as the message builder needs it."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    message_id: str


def new_message_id(domain: str, *parts: int) -> str:
    """``<n.s.random@domain>``: unique, on the sending domain, safe to record before sending."""
    prefix = ".".join(str(p) for p in parts)
    rand = secrets.token_hex(8)
    return f"<{prefix}.{rand}@{domain}>" if prefix else f"<{rand}@{domain}>"


def ascii_address(email: str) -> str:
    """The address as SMTP and headers need it: an internationalised domain in its IDNA (xn--) form.
    A non-ASCII local part would need SMTPUTF8, which we do not use: ValueError."""
    if email.isascii():
        return email
    local, _, domain = email.rpartition("@")
    if not local.isascii():
        raise ValueError(f"{email}: a non-ASCII local part needs SMTPUTF8, which is not supported")
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def format_address(name: str, email: str) -> str:
    """``Name <addr>``; a non-ASCII name as RFC 2047 encoded-words, folded with CRLF when long."""
    name = " ".join(name.split())
    if not name:
        return email
    if name.isascii():
        return formataddr((name, email))
    short = formataddr((name, email), charset="utf-8")   # one encoded-word, fine up to 75 characters
    if len(short) - len(email) - 3 <= 75:
        return short
    words = Header(name, "utf-8", header_name="To").encode(linesep="\r\n")
    return f"{words} <{email}>"


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _white(match: re.Match[bytes]) -> bytes:
    run = match.group()
    return b"=09" if run == b"\t" else b" " + b"=20" * (len(run) - 1)


def _cut(line: bytes, limit: int) -> int:
    """Where a soft line break may go so the first piece has at most ``limit`` octets: never inside
    an ``=XX`` escape, never right before a dot."""
    cut = limit
    while cut > 1 and (line[cut - 1:cut] == b"=" or line[cut - 2:cut - 1] == b"=" or line[cut:cut + 1] == b"."):
        cut -= 1
    return cut


def qp(text: str, *, segment: bool = False) -> bytes:
    """Quoted-printable of ``text`` with CRLF line ends, lines of at most 76 octets, no line starting
    with a dot and no white space for DKIM to change (see the module docstring). ``segment``: the
    text ends mid-line and a soft line break will follow, so its last line stays within 75."""
    encoded = binascii.b2a_qp(_crlf(text).encode("utf-8"))
    # b2a_qp ends its own soft line breaks with LF alone when the text holds no line break.
    lines = [line[:-1] if line.endswith(b"\r") else line for line in encoded.split(b"\n")]
    out: list[bytes] = []
    for i, line in enumerate(lines):
        line = _WHITE_RUN.sub(_white, line)
        limit = 75 if (segment and i == len(lines) - 1) else 76
        while True:
            if line[:1] == b".":
                line = b"=2E" + line[1:]
            if len(line) <= limit:
                out.append(line)
                break
            cut = _cut(line, 75)
            out.append(line[:cut] + b"=")
            line = line[cut:]
    return CRLF.join(out)


def qp_value(text: str) -> bytes:
    """``qp(text, segment=True)`` with a shortcut for the usual value (a plain name, address or link)."""
    if len(text) <= 75 and _PLAIN.match(text) and text[:1] != ".":
        return text.encode("ascii")
    return qp(text, segment=True)


class QpTemplate:
    """One body as quoted-printable pieces encoded once; ``fill`` puts one recipient's values in."""

    def __init__(self, parts: tuple[str, ...]) -> None:
        literals = parts[0::2]
        self.keys = parts[1::2]
        self.pieces = [qp(lit, segment=True) for lit in literals[:-1]] + [qp(literals[-1]) + CRLF]

    def fill(self, values: list[str]) -> bytes:
        out = [self.pieces[0]]
        for value, piece in zip(values, self.pieces[1:]):
            out += (SOFT, qp_value(value), SOFT, piece)
        return b"".join(out)


def _probe_parts(parts: tuple[str, ...]) -> tuple[str, ...]:
    """('', key1, NUL, key2, NUL, ..., keyN, ''): a template that renders to the values alone."""
    out: list[str] = [""]
    for key in parts[1::2]:
        out += [key, SEP]
    if len(out) > 1:
        out[-1] = ""
    return tuple(out)


class _ValueProbe:
    """Compose's values for one recipient, in template order, escaped as compose escapes them."""

    def __init__(self, compiled: CompiledNewsletter) -> None:
        self.probe = dataclasses.replace(compiled, html_parts=_probe_parts(compiled.html_parts),
                                         text_parts=_probe_parts(compiled.text_parts))
        self.html_slots = len(compiled.html_parts) // 2
        self.text_slots = len(compiled.text_parts) // 2

    def values(self, person: Personalisation) -> tuple[list[str], list[str]]:
        parts = self.probe.render(person)
        return (parts.html.split(SEP) if self.html_slots else [],
                parts.text.split(SEP) if self.text_slots else [])


def inline_part(p: InlinePart) -> bytes:
    """One embedded image: its headers and base64 body in lines of 76 (no dot, no white space)."""
    body = base64.encodebytes(p.data).replace(b"\n", CRLF)
    return (f"Content-Type: {p.content_type}\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-ID: <{p.cid}>\r\nContent-Disposition: inline; filename=\"{p.filename}\"\r\n\r\n"
            ).encode("ascii") + body


class MessageBuilder:
    """Builds the bytes of one newsletter for any recipient. Create once per newsletter."""

    def __init__(self, config: Config, key: bytes, newsletter_id: int, newsletter: Newsletter,
                 compiled: CompiledNewsletter, *, subject_prefix: str = "", signer: Signer | None = None) -> None:
        self.config = config
        self.key = key
        self.newsletter_id = newsletter_id
        self.newsletter = newsletter
        self.compiled = compiled
        self.signer = signer
        self.subject = subject_prefix + newsletter.subject
        boundary = "=_nb_" + secrets.token_hex(12)   # '=_' can never occur in quoted-printable text
        sender = config.sender
        head = EmailMessage(policy=SMTP)
        head["From"] = Address(display_name=sender.from_name, addr_spec=sender.from_address)
        head["Subject"] = self.subject
        head["List-Id"] = sender.list_id
        self._fixed = head.as_bytes(policy=SMTP).split(b"\r\n\r\n", 1)[0] + CRLF
        b = boundary.encode("ascii")
        self._tail_headers = (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\n"
                              b'Content-Type: multipart/alternative; boundary="' + b + b'"\r\n\r\n')
        part = b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
        self._text_open = b"--" + b + CRLF + part % b"plain"
        self._html_open = b"--" + b + CRLF + part % b"html"
        self._close = b"--" + b + b"--" + CRLF
        if compiled.related:   # alternative(text, related(html, images...))
            r = ("=_nr_" + secrets.token_hex(12)).encode("ascii")
            self._html_open = (b"--" + b + CRLF + b'Content-Type: multipart/related; boundary="' + r
                               + b'"; type="text/html"\r\n\r\n--' + r + CRLF + part % b"html")
            self._close = b"".join(b"--" + r + CRLF + inline_part(p) for p in compiled.related) \
                + b"--" + r + b"--" + CRLF + self._close
        self._text = QpTemplate(compiled.text_parts)
        self._html = QpTemplate(compiled.html_parts)
        self._probe = _ValueProbe(compiled)
        self._date_second, self._date_value = 0, ""

    def personalisation(self, subscriber_id: int, email: str, name: str) -> Personalisation:
        return personalisation(self.config, self.key, self.newsletter, self.newsletter_id,
                               subscriber_id, email, name)

    def envelope_sender(self, delivery_id: int) -> str:
        """The VERP Return-Path naming the delivery, or the plain bounce address for test sends."""
        if delivery_id <= 0:
            return self.config.sender.bounce_address
        return tokens.bounce_address(self.key, self.config.sender.bounce_address, delivery_id)

    def build(self, r: Recipient, date: datetime | None = None) -> bytes:
        """The complete message for one recipient."""
        person = self.personalisation(r.subscriber_id, r.email, r.name)
        html_values, text_values = self._probe.values(person)
        return self._message(r, person, self._text.fill(text_values), self._html.fill(html_values), date)

    def assemble(self, r: Recipient, person: Personalisation, parts: RenderedParts,
                 date: datetime | None = None) -> bytes:
        """The message for bodies rendered elsewhere (encoded whole: slower than ``build``)."""
        return self._message(r, person, qp(parts.text) + CRLF, qp(parts.html) + CRLF, date)

    def _now_header(self) -> str:
        """The Date header for now, formatted once per second."""
        second = int(time.time())
        if second != self._date_second:
            self._date_second = second
            self._date_value = format_datetime(datetime.fromtimestamp(second, timezone.utc))
        return self._date_value

    def _message(self, r: Recipient, person: Personalisation, text: bytes, html: bytes,
                 date: datetime | None) -> bytes:
        mailto = links.unsubscribe_mailto(self.config, self.key, r.subscriber_id)
        headers = (
            self._fixed
            + f"To: {format_address(r.name, ascii_address(r.email))}\r\n"
              f"Reply-To: {person.reply_address}\r\n"
              f"Date: {format_datetime(date) if date is not None else self._now_header()}\r\n"
              f"Message-ID: {r.message_id}\r\n"
              f"List-Unsubscribe: <{person.unsubscribe_url}>,\r\n <{mailto}>\r\n".encode("ascii")
            + self._tail_headers
        )
        message = b"".join((headers, self._text_open, text, self._html_open, html, self._close))
        if self.signer is not None:
            message = self.signer.sign(message, body_is_relaxed=True) + message
        return message
