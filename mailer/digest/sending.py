"""Claim, send and record digests.

A digest is claimed first (a ``digests`` row with its range of reaction ids, in one write
transaction), then sent through ``mailer.smtp``, then marked sent. A claimed digest that did not go
(relay down, or the process stopped) stays pending and is sent at a later tick with the same
range, so a restart neither skips nor repeats a reaction. Only a crash between the relay's
"accepted" and the database update sends one twice (with the same Message-ID).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from .. import smtp
from ..config import Config
from ..errors import ConfigError, SmtpUnavailable
from ..runtime import Runtime
from ..stores import digests as store
from ..stores import reactions_query as query
from ..stores.digests import DigestRow
from . import content, slots
from .content import EVERY_REACTION, Digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    digest: DigestRow
    sent: bool
    error: str = ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def build_message(cfg: Config, row: DigestRow, digest: Digest, now: datetime) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)  # CRLF line ends, as RFC 5321 and aiosmtpd want
    msg["From"] = Address(cfg.sender.from_name, addr_spec=cfg.sender.from_address)
    msg["To"] = ", ".join(a for a in row.recipients.split(",") if a)
    msg["Subject"] = content.subject(cfg, digest)
    msg["Date"] = format_datetime(now)
    # The same id for every try of one digest, so a resend after a crash is recognisably the same mail.
    stamp = row.created_at.replace("-", "").replace(":", "").replace("+", "")
    msg["Message-ID"] = f"<digest-{row.id}-{stamp}@{cfg.sender.domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(content.render_text(cfg, digest))
    msg.add_alternative(content.render_html(cfg, digest), subtype="html")
    return msg


def _send(rt: Runtime, row: DigestRow, now: datetime) -> Outcome:
    cfg = rt.config
    digest = content.gather(rt.db, cfg, row.after_id, row.upto_id)
    msg = build_message(cfg, row, digest, now)
    try:
        smtp.send_mail(cfg.smtp, cfg.smtp_password, msg, mail_from=cfg.sender.bounce_address,
                       to=[a for a in row.recipients.split(",") if a])
    except SmtpUnavailable as exc:
        wait = min(cfg.smtp.retry_initial * 2 ** row.attempts, cfg.smtp.retry_max)
        store.mark_failed(rt.db, row.id, str(exc), _iso(now + timedelta(seconds=wait)))
        log.warning("digest %s not sent, tried again in %ss: %s", row.id, int(wait), exc)
        return Outcome(store.get(rt.db, row.id), False, str(exc))
    store.mark_sent(rt.db, row.id, str(msg["Message-ID"]), _iso(now))
    log.info("digest %s sent: %s reactions to %s", row.id, row.reactions, row.recipients)
    return Outcome(store.get(rt.db, row.id), True)


def _recipients(cfg: Config) -> str:
    addresses = cfg.digest.addresses
    if not addresses:
        raise ConfigError("no digest recipients: set [digest] recipients (addresses separated by commas) "
                          "in %(source)s", source=cfg.source)
    return ",".join(addresses)


def tick(rt: Runtime, now: datetime | None = None) -> list[Outcome]:
    """What the scheduler runs: claim the digest of the latest scheduled moment when that one has
    none yet (also after a restart that slept through it), then send every claimed digest that
    is due. Nothing when [digest] is not enabled."""
    cfg = rt.config
    if not cfg.digest.enabled:
        return []
    now = _now(now)
    key = slots.slot_key(slots.latest_slot(cfg, now))
    if (store.latest_slot(rt.db) or "") < key:
        row = store.claim(rt.db, key, EVERY_REACTION, _recipients(cfg), _iso(now))
        if row is not None and row.state == "empty":
            log.info("digest for %s: no new reactions, nothing sent", key)
    return [_send(rt, row, now) for row in store.due(rt.db, _iso(now))]


def send_now(rt: Runtime, now: datetime | None = None) -> list[Outcome]:
    """``mailer digest``: send a digest that waits for a retry now, and claim and send every
    reaction not yet in a digest, whatever the schedule; [] when there is nothing new."""
    cfg = rt.config
    now = _now(now)
    recipients = _recipients(cfg)
    waiting = store.due(rt.db, _iso(now + timedelta(days=3650)))
    row = store.claim(rt.db, None, EVERY_REACTION, recipients, _iso(now))
    return [_send(rt, r, now) for r in [*waiting, *([row] if row else [])]]


def preview(rt: Runtime) -> Digest:
    """``mailer digest --dry-run``: what the next digest would list; nothing is recorded."""
    after = store.high_water_mark(rt.db)
    return content.gather(rt.db, rt.config, after, max(after, query.latest_id(rt.db)))
