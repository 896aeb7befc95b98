"""The opt-in mails (confirm your subscription; you are already subscribed), sent over SMTP.

One message at a time through mailer.smtp (the product's one SMTP helper), no ledger, no
throttling. The newsletter sender in mailer/send/ is not imported here.

These mails go to whatever address was typed into the form, so they never repeat what was typed
(the name): nobody can use the form to send their text, or links, to someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid

from mailer import links, smtp
from mailer.config import Config

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
    """Send one mail with the [smtp] settings; returns its Message-ID.

    Raises ``SmtpUnavailable`` (or its kind ``smtp.MessageRefused``) when it did not go."""
    msg = build(cfg, mail)
    smtp.send_mail(cfg.smtp, cfg.smtp_password, msg, mail_from=cfg.sender.bounce_address, to=[mail.to])
    return str(msg["Message-ID"])


def confirmation(cfg: Config, key: bytes, subscriber_id: int, email: str, name: str, language: str,
                 now: float | None = None) -> OutgoingMail:
    """"Confirm your subscription" with a signed link that expires (links.CONFIRM_TTL_SECONDS).

    ``name`` is what the form said and is deliberately not shown (see the module docstring)."""
    url = links.confirm_url(cfg, key, subscriber_id, now=now)
    text = templating.render(cfg.templates_dir, language, "mail/confirm.txt", url=url,
                             days=links.CONFIRM_TTL_SECONDS // 86400, sender=cfg.sender)
    subject = templating.gettext(language, "Confirm your subscription to %(list)s", list=cfg.sender.from_name)
    return OutgoingMail(email, subject, text)


def already_subscribed(cfg: Config, key: bytes, subscriber_id: int, email: str, name: str,
                       language: str) -> OutgoingMail:
    """Sent instead of a confirmation when the address is already active, so the form's answer
    (and the mail traffic) is the same for known and unknown addresses. No name is shown either."""
    text = templating.render(cfg.templates_dir, language, "mail/already.txt",
                             preferences=links.preferences_url(cfg, key, subscriber_id),
                             unsubscribe=links.unsubscribe_url(cfg, key, subscriber_id), sender=cfg.sender)
    subject = templating.gettext(language, "You are already subscribed to %(list)s", list=cfg.sender.from_name)
    return OutgoingMail(email, subject, text)
