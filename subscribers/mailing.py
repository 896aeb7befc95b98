"""The opt-in mails (confirm your subscription; you are already subscribed), sent over SMTP.

A deliberately small sender with smtplib and the stdlib email package: one message at a time,
no ledger, no throttling. The newsletter sender lives in mailer/send/ and is not imported here
(subscribers/ never depends on the sending code).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid

from mailer import links
from mailer.config import Config
from mailer.errors import SmtpUnavailable

from . import templating


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str


def build(cfg: Config, mail: OutgoingMail) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)  # SMTP policy: CRLF line ends, which aiosmtpd and RFC 5321 require
    msg["From"] = formataddr((cfg.sender.from_name, cfg.sender.from_address))
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=cfg.sender.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text)
    return msg


def send(cfg: Config, mail: OutgoingMail) -> str:
    """Send one mail with the [smtp] settings; returns its Message-ID. Raises ``SmtpUnavailable``."""
    msg = build(cfg, mail)
    s = cfg.smtp
    try:
        if s.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with client:
            if s.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.username:
                client.login(s.username, cfg.smtp_password)
            client.send_message(msg, from_addr=cfg.sender.bounce_address, to_addrs=[mail.to])
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(
            f"could not send the opt-in mail via {s.host}:{s.port} ({exc}): check [smtp] in the config"
        ) from None
    return str(msg["Message-ID"])


def confirmation(cfg: Config, key: bytes, subscriber_id: int, email: str, name: str, language: str,
                 now: float | None = None) -> OutgoingMail:
    """"Confirm your subscription" with a signed link that expires (links.CONFIRM_TTL_SECONDS)."""
    url = links.confirm_url(cfg, key, subscriber_id, now=now)
    text = templating.render(cfg.templates_dir, language, "mail/confirm.txt", name=name, url=url,
                             days=links.CONFIRM_TTL_SECONDS // 86400, sender=cfg.sender)
    subject = templating.gettext(language, "Confirm your subscription to %(list)s", list=cfg.sender.from_name)
    return OutgoingMail(email, subject, text)


def already_subscribed(cfg: Config, key: bytes, subscriber_id: int, email: str, name: str,
                       language: str) -> OutgoingMail:
    """Sent instead of a confirmation when the address is already active, so the form's answer
    (and the mail traffic) is the same for known and unknown addresses."""
    text = templating.render(cfg.templates_dir, language, "mail/already.txt", name=name,
                             preferences=links.preferences_url(cfg, key, subscriber_id),
                             unsubscribe=links.unsubscribe_url(cfg, key, subscriber_id), sender=cfg.sender)
    subject = templating.gettext(language, "You are already subscribed to %(list)s", list=cfg.sender.from_name)
    return OutgoingMail(email, subject, text)
