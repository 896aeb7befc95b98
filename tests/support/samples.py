"""Realistic inbound mail and sent-issue history, for the inbox tests and ``bench/ingest.py``.

``seed_history`` puts the sample newsletters, a few subscribers and their sent deliveries into a
database; ``reply`` writes a reader's reply the way common mail clients do (top-posted text,
a Dutch or English quote header, the quoted issue) as raw bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlite_utils

from mailer.db import transaction, utcnow
from mailer.stores import deliveries
from mailer.stores import newsletters as nl_store


@dataclass(frozen=True)
class SeededIssue:
    id: int
    slug: str
    subject: str
    themes: tuple[str, ...]
    section_texts: dict[str, str]  # theme slug -> first section text of that theme


@dataclass(frozen=True)
class SeededReader:
    subscriber_id: int
    email: str
    name: str
    message_ids: dict[int, str]    # newsletter id -> Message-ID of the delivery (with <>)
    delivery_ids: dict[int, int]


def seed_history(db: sqlite_utils.Database, newsletters_dir: Path, *, readers: int = 5,
                 domain: str = "verkenning.example.nl") -> tuple[list[SeededIssue], list[SeededReader]]:
    """Sync the sample issues (oldest first, marked sent a month apart) and give each reader a delivery."""
    from subscribers import store as subscribers

    from mailer.compose.source import list_newsletters

    issues: list[SeededIssue] = []
    loaded = sorted(list_newsletters(newsletters_dir, ZoneInfo("UTC")), key=lambda n: n.slug)
    base = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)
    for i, nl in enumerate(loaded):
        row = nl_store.sync(db, nl)
        sent = (base + timedelta(days=30 * i)).isoformat(timespec="seconds")
        nl_store.set_status(db, row.id, "sent", started_at=sent, finished_at=sent, send_at=sent)
        texts: dict[str, str] = {}
        for s in nl.sections:
            if s.theme and s.theme not in texts:
                texts[s.theme] = s.text
        issues.append(SeededIssue(row.id, row.slug, row.subject, tuple(t.slug for t in nl.themes), texts))
    seeded: list[SeededReader] = []
    names = ["Anne de Vries", "Jeroen Bakker", "Fatima el Amrani", "Sanne Visser", "Pieter Jansen",
             "Noor Hendriks", "Daan Smit", "Lotte Mulder"]
    for r in range(readers):
        name = names[r % len(names)]
        email = f"{name.split()[0].lower()}{r}@lezer.example.nl"
        sub = subscribers.find_by_email(db, email) or subscribers.add(db, email, name, source="sample")
        mids, dids = {}, {}
        for i, issue in enumerate(issues):
            mid = f"<{issue.slug}.{sub.id}.{r}@{domain}>"
            sent = (base + timedelta(days=30 * i, minutes=r)).isoformat(timespec="seconds")
            with transaction(db):
                dids[issue.id] = deliveries.record_delivery(db, issue.id, sub.id, email, mid, sent)
            mids[issue.id] = mid
        seeded.append(SeededReader(sub.id, email, name, mids, dids))
    return issues, seeded


QUOTE_HEADERS = [
    "Op do 12 nov. 2026 om 09:00 schreef Verkenner Publieke Zaak <nieuwsbrief@verkenning.example.nl>:",
    "On Thu, Nov 12, 2026 at 9:00 AM Verkenner Publieke Zaak <nieuwsbrief@verkenning.example.nl> wrote:",
    "Op 12 nov 2026, om 09:00 heeft Verkenner Publieke Zaak <nieuwsbrief@verkenning.example.nl> het volgende"
    " geschreven:",
]


# When Anna wrote, in the tests of answers and quotes (their expected dates follow from it).
ANNA_WROTE = datetime(2026, 11, 30, 9, 15, tzinfo=timezone(timedelta(hours=1)))


def reader_mail(body: str, message_id: str, *, sender: str = "Anna de Vries <anna@example.org>",
                to: str = "reacties@example.org", subject: str = "Re: Samen verder", **headers: str) -> bytes:
    """A reader's plain letter without a quoted issue; ``headers`` as keywords (In_Reply_To=...)."""
    name, address = parseaddr(sender)
    return reply(from_address=address, from_name=name, to=to, subject=subject, body=body, message_id=message_id,
                 date=ANNA_WROTE, extra_headers={k.replace("_", "-"): v for k, v in headers.items()})


def reply(*, from_address: str, from_name: str = "", to: str = "reacties@verkenning.example.nl", subject: str,
          body: str, quoted: str = "", in_reply_to: str | None = None, references: tuple[str, ...] = (),
          message_id: str | None = None, date: datetime | None = None, quote_header: str | None = None,
          extra_headers: dict[str, str] | None = None, html: bool = False) -> bytes:
    """A reader's reply as raw bytes (CRLF), top-posted, with the quoted issue under a quote header."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{from_name} <{from_address}>" if from_name else from_address
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 13, 10, 30, tzinfo=timezone.utc))
    msg["Message-ID"] = message_id or make_msgid(domain=from_address.rpartition("@")[2] or "lezer.example.nl")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for k, v in (extra_headers or {}).items():
        msg[k] = v
    text = body.rstrip() + "\n"
    if quoted:
        header = quote_header or QUOTE_HEADERS[0]
        text += "\n" + header + "\n\n" + "\n".join("> " + line for line in quoted.splitlines()) + "\n"
    msg.set_content(text)
    if html:
        paras = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        msg.add_alternative(f"<html><body>{paras}</body></html>", subtype="html")
    return msg.as_bytes()


BODIES = [
    "Dank voor deze nieuwsbrief. Het voorbeeld van de energiecoöperatie herken ik uit mijn eigen dorp:\n"
    "het vertrouwen tussen buren is inderdaad het kapitaal. Wat ik mis is hoe huurders meedoen.",
    "Mooi stuk over de makers in het stadhuis. Bij ons op het ministerie zijn prototypes nog steeds\n"
    "verdacht; wie naar buiten gaat voordat het beleid af is, moet zich verantwoorden.",
    "Over groeipijn: ons initiatief groeide van tien naar tweehonderd vrijwilligers en toen begonnen\n"
    "de problemen pas echt. Verzekeringen, een bestuur, een accountant. Niemand hielp ons daarbij.",
    "Wie draagt in 2050 de publieke zaak? Ik denk dat we die vraag niet aan de overheid alleen\n"
    "moeten stellen. Scholen, bibliotheken en woningcorporaties horen er net zo goed bij.",
    "Thanks for the English summary. The part about trust as capital resonated with me; we see the\n"
    "same in Rotterdam where a neighbourhood fund works better than any subsidy scheme.",
]


def random_reply(rng: random.Random, issue: SeededIssue, reader: SeededReader, reply_base: str,
                 index: int) -> bytes:
    """One of several realistic reply shapes (token, In-Reply-To, subject only), 3-8 KB."""
    theme_texts = list(issue.section_texts.values())
    quoted = theme_texts[index % len(theme_texts)] if theme_texts else ""
    shape = index % 3
    to = reply_base
    in_reply_to = reader.message_ids.get(issue.id) if shape == 1 else None
    return reply(
        from_address=reader.email, from_name=reader.name, to=to,
        subject=("Re: " if shape != 2 else "Antw: ") + issue.subject,
        body=BODIES[index % len(BODIES)] + f"\n\nGroet,\n{reader.name.split()[0]}",
        quoted=quoted, in_reply_to=in_reply_to,
        references=(in_reply_to,) if in_reply_to else (),
        message_id=f"<reply-{index}-{rng.randrange(1 << 30)}@lezer.example.nl>",
        quote_header=QUOTE_HEADERS[index % len(QUOTE_HEADERS)],
        date=datetime(2026, 11, 13, 10, 30, tzinfo=timezone.utc) + timedelta(minutes=index),
    )


def now_iso() -> str:
    return utcnow()
