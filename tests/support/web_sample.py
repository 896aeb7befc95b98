"""Sample reactions for tests, the benchmark and trying the inbox by hand.

Writes raw_messages + reactions (+ attachments) directly, the way the inbox pipeline leaves them,
so the team UI can be exercised without a mail server. Test and benchmark data only, so it lives
under tests/, outside the product package.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

import sqlite_utils

from mailer.compose.model import Newsletter, Section, Theme
from mailer.stores.inbox import index_reactions
from mailer.stores.newsletters import NewsletterRow, sync


@dataclass
class SampleReaction:
    subject: str = "Re: Samen verder"
    from_name: str = "Lezer"
    from_address: str = "lezer@example.org"
    reply_text: str = "Dank voor de nieuwsbrief."
    full_text: str = ""
    html_body: str = ""
    kind: str = "reaction"
    status: str = "nieuw"
    newsletter_id: int | None = None
    theme_slug: str | None = None
    subscriber_id: int | None = None
    attribution: str = "token"
    theme_attribution: str = "token"
    confidence: float = 1.0
    theme_confidence: float = 1.0
    received_at: str | None = None
    bounced_addresses: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (filename, content type, data)


def raw_bytes(s: SampleReaction, received: datetime) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f'"{s.from_name}" <{s.from_address}>' if s.from_name else s.from_address
    msg["To"] = "reacties@verkenning.example.nl"
    msg["Subject"] = s.subject
    msg["Date"] = format_datetime(received)
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content(s.full_text or s.reply_text or " ")
    if s.html_body:
        msg.add_alternative(s.html_body, subtype="html")
    for name, ctype, data in s.attachments:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                           filename=name)
    return msg.as_bytes()


def plain_bytes(s: SampleReaction, received: datetime) -> bytes:
    """A plain-text sample message written out by hand: the email package's header folding costs
    about a millisecond a message, which makes a 100,000-reaction benchmark fill take minutes."""
    sender = f'"{s.from_name}" <{s.from_address}>' if s.from_name else s.from_address
    head = (f"From: {sender}\r\nTo: reacties@verkenning.example.nl\r\nSubject: {s.subject}\r\n"
            f"Date: {format_datetime(received)}\r\nMessage-ID: {make_msgid(domain='example.org')}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
    body = (s.full_text or s.reply_text or " ").replace("\r\n", "\n").replace("\n", "\r\n")
    return (head + "\r\n" + body + "\r\n").encode("utf-8")


def insert_reaction(db: sqlite_utils.Database, s: SampleReaction, *, plain: bool = False) -> int:
    """Store one sample reaction with its raw message and search entry; returns the reaction id.
    ``plain``: write a plain-text message by hand (no HTML part, no attachments; for bulk fills)."""
    db.conn.execute("SAVEPOINT sample_reaction")  # the reaction and its search entry, or neither
    try:
        rid = _insert_reaction(db, s, plain)
    except BaseException:
        db.conn.execute("ROLLBACK TO sample_reaction")
        db.conn.execute("RELEASE sample_reaction")
        raise
    db.conn.execute("RELEASE sample_reaction")
    return rid


def _insert_reaction(db: sqlite_utils.Database, s: SampleReaction, plain: bool = False) -> int:
    received = datetime.fromisoformat(s.received_at) if s.received_at else datetime.now(timezone.utc)
    data = plain_bytes(s, received) if plain and not (s.html_body or s.attachments) else raw_bytes(s, received)
    at = received.isoformat(timespec="seconds")
    cur = db.execute(
        "INSERT INTO raw_messages (sha256, message_id, size, data, source, received_at)"
        " VALUES (?,?,?,?,?,?)",
        [hashlib.sha256(data + at.encode() + s.subject.encode()).hexdigest(), None, len(data), data,
         "sample", at])
    raw_id = cur.lastrowid
    cur = db.execute(
        "INSERT INTO reactions (raw_message_id, kind, status, from_address, from_name, subject, sent_date,"
        " received_at, newsletter_id, theme_slug, subscriber_id, attribution, theme_attribution, confidence,"
        " theme_confidence, reply_text, full_text, html_body, bounced_addresses, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [raw_id, s.kind, s.status, s.from_address, s.from_name, s.subject, at, at, s.newsletter_id,
         s.theme_slug, s.subscriber_id, s.attribution, s.theme_attribution, s.confidence, s.theme_confidence,
         s.reply_text,
         s.full_text or s.reply_text, s.html_body, json.dumps(s.bounced_addresses), at])
    rid = int(cur.lastrowid or 0)
    for name, ctype, blob in s.attachments:
        db.execute("INSERT INTO attachments (reaction_id, filename, content_type, size, sha256, data)"
                   " VALUES (?,?,?,?,?,?)", [rid, name, ctype, len(blob), hashlib.sha256(blob).hexdigest(), blob])
    index_reactions(db, [rid])
    return rid


THEMES = (
    Theme("kracht-van-het-collectief", "Kracht van het collectief"),
    Theme("de-nieuwe-makers", "De nieuwe makers"),
    Theme("groeipijn", "Groeipijn"),
    Theme("publieke-zaak-2050", "Publieke zaak 2050"),
)


def sample_newsletter(slug: str = "2026-11-samen-verder", title: str = "Samen verder",
                      themes: tuple[Theme, ...] = THEMES[:3]) -> Newsletter:
    sections = tuple(
        Section(i, f"Over {t.name.lower()}", "", f"Wat betekent {t.name.lower()} voor de coöperatie van morgen?",
                t.slug)
        for i, t in enumerate(themes, start=1))
    return Newsletter(slug=slug, title=title, subject=f"{title}: nieuwsbrief", preheader="", themes=themes,
                      sections=sections)


def add_newsletter(db: sqlite_utils.Database, **kwargs: object) -> NewsletterRow:
    return sync(db, sample_newsletter(**kwargs))  # type: ignore[arg-type]


_OPENINGS = ("Dank voor je stuk over", "Mooi geschreven over", "Ik herken veel in", "Kritische noot bij",
             "Vanuit de gemeente zien wij", "Als initiatiefnemer wil ik reageren op")
_TOPICS = ("de coöperatie in onze wijk", "burgerinitiatieven en subsidie", "het energiecollectief",
           "samenwerking tussen overheid en samenleving", "de rol van de ambtenaar", "zorg in de buurt",
           "groeipijn bij maatschappelijke initiatieven", "de publieke zaak in 2050", "nieuwe makers")
_NAMES = ("Anna de Vries", "Bram Jansen", "Chantal Bakker", "Daan Visser", "Eva Smit", "Fatima el Amrani",
          "Gert-Jan Meijer", "Hanneke de Boer", "Ivo Mulder", "José Peeters", "Kees van Dijk", "Lotte Bos")


RARE = "warmtenet"  # in about 1 in 100 sample reactions: a selective search term for the benchmark


def seed(db: sqlite_utils.Database, count: int, *, newsletters: int = 6, rng: random.Random | None = None,
         first: int = 0) -> None:
    """``count`` realistic reactions spread over ``newsletters`` issues, with tags and statuses.
    ``first`` > 0 adds more to a seeded database: reactions number ``first`` on, same issues."""
    rng = rng or random.Random(42 + first)
    from mailer.stores.newsletters import get, theme_slugs
    rows = []
    for i in range(1, newsletters + 1):
        picked = tuple(rng.sample(THEMES, 3))
        slug = f"2026-{i:02d}-nummer-{i}"
        rows.append(get(db, slug) if first else add_newsletter(db, slug=slug, title=f"Nummer {i}", themes=picked))
    nl_themes = {r.id: theme_slugs(db, r.id) for r in rows}
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    kinds = ["reaction"] * 85 + ["auto_reply"] * 8 + ["bounce"] * 5 + ["other"] * 2
    statuses = ["nieuw"] * 5 + ["in_behandeling"] * 2 + ["afgehandeld"] * 2 + ["gearchiveerd"]
    db.execute("BEGIN")
    for i in range(first, first + count):
        nl = rng.choice(rows)
        name = rng.choice(_NAMES)
        text = "\n\n".join(
            f"{rng.choice(_OPENINGS)} {rng.choice(_TOPICS)}. " + " ".join(
                rng.choice(_TOPICS) for _ in range(rng.randint(8, 30)))
            for _ in range(rng.randint(1, 4)))
        if i % 100 == 37:
            text += f"\n\nBij ons loopt het {RARE} vast op de regels."
        s = SampleReaction(
            subject=f"Re: {nl.title}", from_name=name,
            from_address=name.lower().replace(" ", ".").replace("é", "e") + f"{i % 400}@example.org",
            reply_text=text, full_text=text + "\n\n> " + nl.title, kind=rng.choice(kinds),
            status=rng.choice(statuses), newsletter_id=nl.id,
            theme_slug=rng.choice(nl_themes[nl.id] + [None]),
            confidence=round(rng.uniform(0.4, 1.0), 2),
            received_at=(start + timedelta(minutes=i * 13 + rng.randint(0, 10))).isoformat(timespec="seconds"))
        rid = insert_reaction(db, s, plain=True)
        if rng.random() < 0.15:
            db.execute("INSERT OR IGNORE INTO reaction_tags (reaction_id, tag) VALUES (?, ?)",
                       [rid, rng.choice(("boek", "citaat", "vervolg", "kritisch", "uitnodigen"))])
    db.execute("COMMIT")
