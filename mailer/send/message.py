"""One MIME message per recipient, fast.

The stdlib ``email`` package builds the fixed part of the header once per newsletter (From, Subject,
List-Id with their encoded-words, folded by ``policy.SMTP``). Per recipient we only format a few
short headers and splice the recipient's values into bodies quoted-printable-encoded once
(fastbody.py), then join bytes. Serialising a whole ``EmailMessage`` per recipient costs about 1.2 ms; this costs a fraction of
that. ``tests/test_send_message.py`` parses the output with the stdlib parser and compares it with a
reference built the slow way.

The multipart boundary starts with ``=_``: quoted-printable output can never contain ``=_`` (every
literal ``=`` is encoded as ``=3D``), so the boundary cannot clash with a body.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from email import quoprimime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from datetime import datetime, timezone
from typing import Protocol

from .. import links, tokens
from ..compose.model import Newsletter, Personalisation, RenderedParts
from ..compose.personal import personalisation
from ..config import Config
from .fastbody import FastBodies, qp_body

CRLF = b"\r\n"


class CompiledLike(Protocol):
    """What the sender needs from compose's CompiledNewsletter."""

    def render(self, person: Personalisation) -> RenderedParts: ...


class Signer(Protocol):
    def sign(self, message: bytes) -> bytes: ...


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
    """``Name <addr>`` with RFC 2047 encoded-words (folded with CRLF) for non-ASCII names."""
    name = " ".join(name.split())
    if not name:
        return email
    if name.isascii():
        return formataddr((name, email))
    word = quoprimime.header_encode(name.encode("utf-8"), "utf-8")
    if len(word) > 75:  # RFC 2047: split long names into several encoded-words (slower, rare)
        word = Header(name, "utf-8", header_name="To").encode(linesep="\r\n")
    return f"{word} <{email}>"


def _header(name: str, value: str) -> bytes:
    return f"{name}: {value}\r\n".encode("ascii")


class MessageBuilder:
    """Builds the bytes of one newsletter for any recipient. Create once per newsletter (and thread)."""

    def __init__(
        self,
        config: Config,
        key: bytes,
        newsletter_id: int,
        newsletter: Newsletter,
        compiled: CompiledLike,
        *,
        subject_prefix: str = "",
        signer: Signer | None = None,
    ) -> None:
        self.config = config
        self.key = key
        self.newsletter_id = newsletter_id
        self.newsletter = newsletter
        self.compiled = compiled
        self.signer = signer
        self.subject = subject_prefix + newsletter.subject
        self.boundary = "=_nb_" + secrets.token_hex(12)
        sender = config.sender
        head = EmailMessage(policy=SMTP)
        head["From"] = Address(display_name=sender.from_name, addr_spec=sender.from_address)
        head["Subject"] = self.subject
        head["List-Id"] = sender.list_id
        raw = head.as_bytes(policy=SMTP)
        self._fixed = raw.split(b"\r\n\r\n", 1)[0] + CRLF
        self._tail_headers = (
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            b"MIME-Version: 1.0\r\n"
            + f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'.encode("ascii")
            + CRLF
        )
        b = self.boundary.encode("ascii")
        self._text_open = (
            b"--" + b + CRLF
            + b'Content-Type: text/plain; charset="utf-8"\r\n'
            + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        self._html_open = (
            b"--" + b + CRLF
            + b'Content-Type: text/html; charset="utf-8"\r\n'
            + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        self._close = b"--" + b + b"--" + CRLF
        self._date_second, self._date_value = 0, ""
        # The mailto: unsubscribe carries the same token as the https link: take it from there
        # instead of signing it twice per recipient.
        sample_url = links.unsubscribe_url(config, key, 0)
        sample_mailto = links.unsubscribe_mailto(config, key, 0)
        token0 = tokens.make(key, tokens.UNSUBSCRIBE, 0)
        self._url_prefix = sample_url[: -len(token0)] if sample_url.endswith(token0) else None
        self._mailto_parts = sample_mailto.split(token0) if sample_mailto.count(token0) == 1 else None
        try:
            self._fast: FastBodies | None = FastBodies(compiled, [t.slug for t in newsletter.themes])
        except Exception:  # any surprise in the compiled form: every recipient takes the generic path
            self._fast = None

    # -- per recipient -------------------------------------------------------------------------
    def personalisation(self, subscriber_id: int, email: str, name: str) -> Personalisation:
        return personalisation(self.config, self.key, self.newsletter, self.newsletter_id,
                               subscriber_id, email, name)

    def envelope_sender(self, delivery_id: int) -> str:
        """The VERP Return-Path naming the delivery, or the plain bounce address for test sends."""
        if delivery_id <= 0:
            return self.config.sender.bounce_address
        return tokens.bounce_address(self.key, self.config.sender.bounce_address, delivery_id)

    def build(self, r: Recipient, date: datetime | None = None) -> bytes:
        """The complete message (CRLF line ends, DKIM-signed when a signer is set)."""
        person = self.personalisation(r.subscriber_id, r.email, r.name)
        parts = self.compiled.render(person)
        return self.assemble(r, person, parts, date)

    def _now_header(self) -> str:
        """The Date header for now, formatted once per second (formatting costs ~20 us)."""
        second = int(time.time())
        if second != self._date_second:
            self._date_second = second
            self._date_value = format_datetime(datetime.fromtimestamp(second, timezone.utc))
        return self._date_value

    def _unsubscribe_mailto(self, person: Personalisation, subscriber_id: int) -> str:
        url = person.unsubscribe_url
        if self._url_prefix is not None and self._mailto_parts is not None and url.startswith(self._url_prefix):
            return person.unsubscribe_url[len(self._url_prefix):].join(self._mailto_parts)
        return links.unsubscribe_mailto(self.config, self.key, subscriber_id)

    def assemble(self, r: Recipient, person: Personalisation, parts: RenderedParts,
                 date: datetime | None = None) -> bytes:
        date_header = format_datetime(date) if date is not None else self._now_header()
        mailto = self._unsubscribe_mailto(person, r.subscriber_id)
        headers = (
            self._fixed
            + _header("To", format_address(r.name, ascii_address(r.email)))
            + _header("Reply-To", person.reply_address)
            + _header("Date", date_header)
            + _header("Message-ID", r.message_id)
            + _header("List-Unsubscribe", f"<{person.unsubscribe_url}>,\r\n <{mailto}>")
            + self._tail_headers
        )
        if self._fast is not None:
            text, body = self._fast.encode(person, parts)
        else:
            text, body = qp_body(parts.text), qp_body(parts.html)
        message = b"".join((headers, self._text_open, text, self._html_open, body, self._close))
        if self.signer is not None:
            message = self.signer.sign(message) + message
        return message
