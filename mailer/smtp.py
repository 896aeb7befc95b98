"""The one SMTP connection helper: security (none, STARTTLS, TLS), login, timeouts, one-line errors.

Everything the product sends goes through here: newsletters (``Connection``, one session reused for
many messages, each answer mapped to what it means for a delivery) and single mails such as opt-in
confirmations (``send_mail``). Only smtplib's public API is used.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from .config import SmtpConfig
from .errors import SmtpUnavailable

# Enhanced status codes that mean "this mailbox does not exist or will never take mail": a hard bounce.
_HARD_BOUNCE = re.compile(r"\b5\.(1\.[0-9]+|2\.1)\b")
_ENHANCED = re.compile(r"\b5\.\d+\.\d+\b")
_LEADING_DOT = re.compile(rb"(?m)^\.")
_UNSAFE = re.compile(r"[\x00-\x20<>\x7f-\U0010ffff]")   # would break or smuggle an SMTP command


class ConnectionLost(Exception):
    """The session broke before the server answered for the message: dropped, reset, stalled past
    the timeout, or closed with 421. Always temporary: nothing was delivered."""

    def __init__(self, detail: str, *, timed_out: bool = False) -> None:
        super().__init__(detail)
        self.timed_out = timed_out


class MessageRefused(SmtpUnavailable):
    """The server refused a single mail sent with ``send_mail`` (the sender, the recipient or the
    body). A kind of SmtpUnavailable, so a caller that only asks "did it go?" catches one error."""


@dataclass(frozen=True)
class Answer:
    """What the server's answer means for one message."""

    status: str      # sent | retry | bounced | failed | sender_refused
    code: int = 250
    text: str = ""   # the server's whole answer, code first, on one line

    @property
    def temporary(self) -> bool:
        return self.status == "retry"


def one_line(resp: bytes | str) -> str:
    if isinstance(resp, bytes):
        resp = resp.decode("utf-8", "replace")
    return " ".join(resp.split())


def classify(code: int, resp: bytes | str, *, at_rcpt: bool) -> Answer:
    """Map an SMTP reply to what happens to the delivery: 4xx is temporary, a 5xx on the recipient
    that names a mailbox problem is a bounce, any other 5xx is a permanent failure."""
    text = f"{code} {one_line(resp)}"
    if 400 <= code < 500:
        return Answer("retry", code, text)
    if at_rcpt and (_HARD_BOUNCE.search(text) or (code in (550, 551, 553) and not _ENHANCED.search(text))):
        return Answer("bounced", code, text)
    return Answer("failed", code, text)


def _timed_out(exc: BaseException) -> bool:
    """smtplib reports a read that timed out as 'connection unexpectedly closed'; the TimeoutError
    it caught is kept as the exception's context."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def where(cfg: SmtpConfig) -> str:
    return f"{cfg.host}:{cfg.port}"


def connect(cfg: SmtpConfig, password: str) -> smtplib.SMTP:
    """An open, greeted, secured and logged-in session; ``SmtpUnavailable`` with cause and fix otherwise."""
    at = where(cfg)
    smtp: smtplib.SMTP | None = None
    try:
        if cfg.security == "tls":
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        smtp.ehlo_or_helo_if_needed()
        if cfg.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise SmtpUnavailable(f"the SMTP server {at} does not offer STARTTLS: set [smtp] security to "
                                      "'tls' (usually port 465) or 'none'")
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if cfg.username:
            if not password:
                raise SmtpUnavailable(f"[smtp] username is {cfg.username!r} but MAILER_SMTP_PASSWORD is not set: "
                                      "set it in the environment")
            if not smtp.has_extn("auth"):
                hint = ("many servers offer it only over an encrypted connection: set [smtp] security to "
                        "'starttls' or 'tls'" if cfg.security == "none" else "leave [smtp] username empty")
                raise SmtpUnavailable(f"the SMTP server {at} does not offer a login (AUTH) but [smtp] username is "
                                      f"set: {hint}")
            smtp.login(cfg.username, password)
        if smtp.sock is not None:
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return smtp
    except SmtpUnavailable:
        _close(smtp)
        raise
    except smtplib.SMTPAuthenticationError as exc:
        _close(smtp)
        raise SmtpUnavailable(f"the SMTP server {at} refused the login for {cfg.username!r} "
                              f"({exc.smtp_code} {one_line(exc.smtp_error)}): check [smtp] username and "
                              "MAILER_SMTP_PASSWORD") from None
    except smtplib.SMTPConnectError as exc:
        _close(smtp)
        raise SmtpUnavailable(f"the SMTP server {at} refused the connection ({exc.smtp_code} "
                              f"{one_line(exc.smtp_error)}): try again later or check the relay") from None
    except ssl.SSLError as exc:
        _close(smtp)
        raise SmtpUnavailable(f"TLS with the SMTP server {at} failed ({exc.reason or exc}): check [smtp] "
                              "security (tls for port 465, starttls for 587, none for a local relay)") from None
    except (OSError, smtplib.SMTPException) as exc:
        _close(smtp)
        if _timed_out(exc):
            raise SmtpUnavailable(f"the SMTP server {at} did not answer within {cfg.timeout:g} s: check that it "
                                  "is running and [smtp] host/port/security, or raise [smtp] timeout") from None
        raise SmtpUnavailable(f"cannot reach the SMTP server at {at} ({exc.__class__.__name__}: {exc}): start it "
                              "or fix [smtp] host/port/security (or MAILER_SMTP__HOST / MAILER_SMTP__PORT)") from None


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass


class Connection:
    """One SMTP session reused for many messages; it connects on first use and after a loss."""

    def __init__(self, cfg: SmtpConfig, password: str = "") -> None:
        self.cfg = cfg
        self.password = password
        self.smtp: smtplib.SMTP | None = None
        self._size = False
        self._pipelining = False

    @property
    def where(self) -> str:
        return where(self.cfg)

    @property
    def connected(self) -> bool:
        return self.smtp is not None

    def connect(self) -> None:
        self.abandon()
        self.smtp = connect(self.cfg, self.password)
        self._size = bool(self.smtp.has_extn("size"))
        self._pipelining = bool(self.smtp.has_extn("pipelining"))

    def close(self) -> None:
        """QUIT politely; any error only means the session is gone already."""
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                _close(self.smtp)
            self.smtp = None

    def abandon(self) -> None:
        """Drop the socket without QUIT: an unfinished transaction is discarded, nothing delivered."""
        _close(self.smtp)
        self.smtp = None

    def send(self, mail_from: str, rcpt: str, data: bytes, *, dot_safe: bool = False) -> Answer:
        """Send one message (CRLF line ends). ``dot_safe``: no line of ``data`` starts with a dot, so
        the dot-stuffing pass (a regex over the whole message) is skipped.

        Returns the server's verdict; raises ``ConnectionLost`` when the session broke first
        (the caller reconnects with ``connect()``), ``SmtpUnavailable`` when reconnecting fails."""
        if self.smtp is None:
            self.connect()
        smtp = self.smtp
        assert smtp is not None
        if _UNSAFE.search(mail_from) or _UNSAFE.search(rcpt):
            return Answer("failed", 0, f"not a usable address: {rcpt!r}")
        try:
            size = f" SIZE={len(data)}" if self._size else ""
            if self._pipelining:
                refused = self._envelope_pipelined(smtp, mail_from, rcpt, size)
            else:
                refused = self._envelope(smtp, mail_from, rcpt, size)
            if refused is not None:
                return refused
            if not dot_safe and (data[:1] == b"." or b"\n." in data):
                data = _LEADING_DOT.sub(b"..", data)
            smtp.send(data + (b".\r\n" if data[-2:] == b"\r\n" else b"\r\n.\r\n"))
            code, resp = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.abandon()
            if _timed_out(exc):
                raise ConnectionLost(f"timed out: the SMTP server {self.where} did not answer within "
                                     f"{self.cfg.timeout:g} s", timed_out=True) from None
            raise ConnectionLost(f"connection to {self.where} lost ({one_line(str(exc)) or exc.__class__.__name__})") from None
        if code == 250:
            return Answer("sent", code, f"{code} {one_line(resp)}")
        if code == 421:
            self.abandon()
            raise ConnectionLost(f"{code} {one_line(resp)}")
        return classify(code, resp, at_rcpt=False)

    def _envelope(self, smtp: smtplib.SMTP, mail_from: str, rcpt: str, size: str) -> Answer | None:
        """MAIL, RCPT and DATA one after another; None when the server waits for the body."""
        code, resp = smtp.docmd("MAIL", f"FROM:<{mail_from}>{size}")
        if code != 250:
            return self._refused(code, resp, at_rcpt=False, sender=True)
        code, resp = smtp.docmd("RCPT", f"TO:<{rcpt}>")
        if code not in (250, 251):
            return self._refused(code, resp, at_rcpt=True)
        # DATA by hand rather than smtplib's data(): that one runs a regex over every message to
        # dot-stuff it, which the caller can often rule out (see dot_safe).
        code, resp = smtp.docmd("DATA")
        if code != 354:
            return self._refused(code, resp, at_rcpt=False)
        return None

    def _envelope_pipelined(self, smtp: smtplib.SMTP, mail_from: str, rcpt: str, size: str) -> Answer | None:
        """RFC 2920 PIPELINING: MAIL, RCPT and DATA in one write, then their three replies: one round
        trip instead of three. smtplib has no such mode; its public send() and getreply() do it."""
        smtp.send(f"MAIL FROM:<{mail_from}>{size}\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n".encode("ascii"))
        replies = [smtp.getreply() for _ in range(3)]
        (c_mail, r_mail), (c_rcpt, r_rcpt), (c_data, r_data) = replies
        closing = next((r for r in replies if r[0] == 421), None)
        if closing is not None:
            self.abandon()
            raise ConnectionLost(f"421 {one_line(closing[1])}")
        if c_data == 354 and (c_mail != 250 or c_rcpt not in (250, 251)):
            smtp.send(b".\r\n")   # the server wants a body that has no recipient: end it empty
            smtp.getreply()
        if c_mail != 250:
            return self._refused(c_mail, r_mail, at_rcpt=False, sender=True)
        if c_rcpt not in (250, 251):
            return self._refused(c_rcpt, r_rcpt, at_rcpt=True)
        if c_data != 354:
            return self._refused(c_data, r_data, at_rcpt=False)
        return None

    def _refused(self, code: int, resp: bytes, *, at_rcpt: bool, sender: bool = False) -> Answer:
        if code == 421:   # the server closes the session
            self.abandon()
            raise ConnectionLost(f"{code} {one_line(resp)}")
        try:
            assert self.smtp is not None
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.abandon()
        answer = classify(code, resp, at_rcpt=at_rcpt)
        if sender and not answer.temporary:
            return Answer("sender_refused", answer.code, answer.text)
        return answer


def send_mail(cfg: SmtpConfig, password: str, msg: EmailMessage, *, mail_from: str, to: list[str]) -> None:
    """Send one mail (an opt-in confirmation, an answer to a reader) on a session of its own.

    Raises ``SmtpUnavailable`` when the server cannot be reached or drops us, ``MessageRefused``
    when it refuses the sender, a recipient or the message."""
    smtp = connect(cfg, password)
    at = where(cfg)
    try:
        smtp.send_message(msg, from_addr=mail_from, to_addrs=to)
    except smtplib.SMTPRecipientsRefused as exc:
        answers = "; ".join(f"{rcpt}: {code} {one_line(resp)}" for rcpt, (code, resp) in exc.recipients.items())
        raise MessageRefused(f"the SMTP server {at} refused the recipient ({answers}): check the address") from None
    except smtplib.SMTPSenderRefused as exc:
        raise MessageRefused(f"the SMTP server {at} refused the sender {mail_from} ({exc.smtp_code} "
                             f"{one_line(exc.smtp_error)}): check [sender] bounce_address and the relay's rules") from None
    except smtplib.SMTPDataError as exc:
        raise MessageRefused(f"the SMTP server {at} refused the message ({exc.smtp_code} "
                             f"{one_line(exc.smtp_error)})") from None
    except (smtplib.SMTPException, OSError) as exc:
        if _timed_out(exc):
            raise SmtpUnavailable(f"the SMTP server {at} did not answer within {cfg.timeout:g} s: try again "
                                  "later or raise [smtp] timeout") from None
        raise SmtpUnavailable(f"the SMTP server {at} dropped the connection ({exc}): try again later") from None
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            _close(smtp)
