"""Sample reader replies for the demo, written in the styles of the mail clients readers use.

Each builder takes what a reader's client would have at hand (the newsletter as received) and
returns the raw bytes that client would send. Texts are our own, in Dutch and English.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime, formataddr, getaddresses, make_msgid

MAILTO = re.compile(r'href="mailto:([^"?]+)\?subject=([^"]*)"')


@dataclass(frozen=True)
class Received:
    """One newsletter as a subscriber received it."""

    to_address: str
    to_name: str
    from_header: str
    reply_to: str
    message_id: str
    subject: str
    date: str
    text: str
    theme_addresses: tuple[str, ...]   # the per-theme "Reageer op dit thema" addresses, in order
    envelope_from: str                 # VERP bounce address

    @classmethod
    def from_bytes(cls, data: bytes, envelope_from: str) -> "Received":
        msg = email.message_from_bytes(data, policy=email.policy.default)
        (to_name, to_address), = getaddresses([str(msg["To"])])
        text_part = msg.get_body(("plain",))
        html_part = msg.get_body(("html",))
        html = html_part.get_content() if html_part is not None else ""
        themes: list[str] = []
        general = str(msg["Reply-To"]).strip().strip("<>")
        for address, _subject in MAILTO.findall(html):
            if "+r-" in address and address != general and address not in themes:
                themes.append(address)
        return cls(
            to_address=to_address, to_name=to_name, from_header=str(msg["From"]),
            reply_to=general, message_id=str(msg["Message-ID"]).strip(), subject=str(msg["Subject"]),
            date=str(msg["Date"]),
            text=text_part.get_content().replace("\r\n", "\n") if text_part is not None else "",
            theme_addresses=tuple(themes), envelope_from=envelope_from,
        )


def _quote(text: str, limit: int = 40) -> str:
    lines = text.strip().splitlines()[:limit]
    return "\n".join(("> " + line) if line else ">" for line in lines)


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _h(value: str) -> str:
    """A header value as a mail client writes it: RFC 2047 encoded-words when not ASCII."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _addr(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8")


def _when(minutes: int) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(minutes=minutes))


def gmail_nl(r: Received) -> bytes:
    """Gmail, Dutch, top-posted, replying to the whole issue through the signed Reply-To."""
    body = (
        "Dag,\n\nWat een herkenbaar stuk. Bij ons in de wijk zijn bewoners zelf een energiecoöperatie\n"
        "begonnen en de gemeente wist eerst niet wat ze ermee aan moest. Inmiddels zitten we elke maand\n"
        "samen aan tafel. Het heeft ons twee jaar gekost om elkaars taal te leren spreken.\n\n"
        "Ik lees graag meer over hoe andere gemeenten dat aanpakken.\n\nGroet,\n"
        f"{r.to_name}\n"
    )
    quote_header = f"Op ma 23 nov 2026 om 09:00 schreef {r.from_header}:"
    text = f"{body}\n{quote_header}\n\n{_quote(r.text)}\n"
    html = (
        '<div dir="ltr">' + body.replace("\n", "<br>") + '</div><br><div class="gmail_quote">'
        f'<div dir="ltr" class="gmail_attr">{quote_header}<br></div><blockquote class="gmail_quote">'
        + r.text[:2000].replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>")
        + "</blockquote></div>"
    )
    boundary = "000000000000a1b2c3d4e5f6"
    return _crlf(
        f"MIME-Version: 1.0\nDate: {_when(35)}\nMessage-ID: {make_msgid(domain='mail.gmail.example')}\n"
        f"In-Reply-To: {r.message_id}\nReferences: {r.message_id}\n"
        f"Subject: {_h('Re: ' + r.subject)}\nFrom: {_addr(r.to_name, r.to_address)}\nTo: {r.reply_to}\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\n\n'
        f"--{boundary}\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: 8bit\n\n{text}\n"
        f"--{boundary}\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: 8bit\n\n{html}\n"
        f"--{boundary}--\n"
    )


def outlook_theme_nl(r: Received) -> bytes:
    """Outlook desktop, Dutch, answering one theme through its own link, with signature and disclaimer."""
    to = r.theme_addresses[0] if r.theme_addresses else r.reply_to
    body = (
        "Beste verkenner,\n\nHet collectief als kracht: ja, maar wie betaalt de koffie? Bij ons in de regio\n"
        "lopen initiatieven vast op kleine bedragen die niemand mag uitgeven. Een potje van een paar duizend\n"
        "euro per wijk zou meer doen dan het zoveelste programma.\n\n"
        "Met vriendelijke groet,\n\n"
        f"{r.to_name}\nBeleidsadviseur Samenleving\nGemeente Voorbeeldstad\n\n"
        "Dit bericht kan informatie bevatten die niet voor u is bestemd. Indien u niet de geadresseerde bent\n"
        "of dit bericht abusievelijk aan u is toegezonden, wordt u verzocht dat aan de afzender te melden en\n"
        "het bericht te verwijderen.\n\n"
        "________________________________\n"
        f"Van: {r.from_header}\nVerzonden: maandag 23 november 2026 09:00\nAan: {r.to_name} <{r.to_address}>\n"
        f"Onderwerp: {r.subject}\n\n{r.text[:1500]}\n"
    )
    return _crlf(
        f"MIME-Version: 1.0\nDate: {_when(50)}\nMessage-ID: {make_msgid(domain='EXCH01.gemeente.example.nl')}\n"
        f"Subject: {_h('RE: ' + r.subject)}\nFrom: {_addr(r.to_name, r.to_address)}\nTo: <{to}>\n"
        "Thread-Topic: nieuwsbrief\nX-MS-Has-Attach: \nContent-Language: nl-NL\n"
        "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n\n" + body
    )


def apple_mail_en(r: Received) -> bytes:
    """Apple Mail on an iPhone, English, answering the second theme."""
    to = r.theme_addresses[1] if len(r.theme_addresses) > 1 else r.reply_to
    body = (
        "Thank you for this. The part about new makers resonated: our library now lends 3D printers\n"
        "and sewing machines, and the people who come are not the ones we expected. Happy to show you\n"
        "around if you are ever in the area.\n\nSent from my iPhone\n\n"
        f"> On 23 Nov 2026, at 09:00, {r.from_header} wrote:\n>\n{_quote(r.text, 25)}\n"
    )
    return _crlf(
        f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\nMime-Version: 1.0 (1.0)\n"
        f"Date: {_when(70)}\nSubject: {_h('Re: ' + r.subject)}\nMessage-Id: {make_msgid(domain='example.org')}\n"
        f"References: {r.message_id}\nIn-Reply-To: {r.message_id}\n"
        f"From: {_addr(r.to_name, r.to_address)}\nTo: {to}\nX-Mailer: iPhone Mail (22B91)\n\n" + body
    )


def thunderbird_inline_nl(r: Received, own_address: str) -> bytes:
    """Thunderbird, Dutch, answering inline, sent to the CXO's own address (no signed token)."""
    paragraphs = [p for p in r.text.split("\n\n") if len(p) > 200]
    quoted = paragraphs[len(paragraphs) // 2] if paragraphs else r.text[:600]
    body = (
        f"Op 23-11-2026 om 09:00 schreef {r.from_header}:\n{_quote(quoted, 12)}\n\n"
        "Dit is precies waar we in de provincie tegenaan lopen. De regels zijn niet het probleem,\n"
        "het is de angst om ze anders uit te leggen dan de vorige keer.\n\n"
        "> Reacties welkom\n\nBij deze! Ik denk graag mee over de volgende editie.\n\n"
        f"-- \n{r.to_name}\n"
    )
    return _crlf(
        f"Message-ID: {make_msgid(domain='provincie.example.nl')}\nDate: {_when(95)}\nMIME-Version: 1.0\n"
        "User-Agent: Mozilla Thunderbird\nContent-Language: nl\n"
        f"To: {own_address}\nFrom: {_addr(r.to_name, r.to_address)}\nSubject: {_h('Re: ' + r.subject)}\n"
        f"References: {r.message_id}\nIn-Reply-To: {r.message_id}\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\n" + body
    )


def forwarded_colleague_nl(r: Received, own_address: str) -> bytes:
    """A colleague who got the issue forwarded writes back by subject only."""
    body = (
        "Goedemorgen,\n\nMijn collega stuurde mij uw nieuwsbrief door. Ik werk bij een woningcorporatie en\n"
        "herken de groeipijn: wij willen bewoners meer zeggenschap geven, maar onze systemen zijn daar niet\n"
        "op gebouwd. Wellicht interessant voor een volgend nummer.\n\nHartelijke groet,\nSanne Bakker\n"
    )
    return _crlf(
        f"Message-ID: {make_msgid(domain='corporatie.example.nl')}\nDate: {_when(120)}\nMIME-Version: 1.0\n"
        f"To: {own_address}\nFrom: Sanne Bakker <s.bakker@corporatie.example.nl>\nSubject: {_h('Re: ' + r.subject)}\n"
        "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n" + body
    )


def fresh_mail_nl(r: Received, own_address: str) -> bytes:
    """A subscriber writes a new mail without quoting, days later: filed by their latest issue."""
    body = (
        "Hallo,\n\nIk zat er nog over na te denken: zouden jullie een bijeenkomst willen organiseren voor\n"
        "iedereen die gereageerd heeft? Ik bied graag een ruimte aan in ons buurthuis.\n\nGroeten,\n"
        f"{r.to_name}\n"
    )
    return _crlf(
        f"Message-ID: {make_msgid(domain='example.nl')}\nDate: {_when(60 * 26)}\nMIME-Version: 1.0\n"
        f"To: {own_address}\nFrom: {_addr(r.to_name, r.to_address)}\nSubject: Een idee voor een bijeenkomst\n"
        "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n" + body
    )


def out_of_office_nl(r: Received) -> bytes:
    """Exchange's out-of-office answer (RFC 3834 Auto-Submitted)."""
    body = (
        "Ik ben tot en met 30 november afwezig en heb beperkt toegang tot mijn e-mail.\n"
        "Voor dringende zaken kunt u contact opnemen met het secretariaat.\n"
    )
    return _crlf(
        f"Message-ID: {make_msgid(domain='EXCH02.example.nl')}\nDate: {_when(2)}\nMIME-Version: 1.0\n"
        f"To: {r.reply_to}\nFrom: {_addr(r.to_name, r.to_address)}\nSubject: {_h('Automatisch antwoord: ' + r.subject)}\n"
        f"In-Reply-To: {r.message_id}\nAuto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n"
        "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n" + body
    )


def bounce_dsn(r: Received, reporting_mta: str = "mx.example.nl") -> bytes:
    """A Postfix RFC 3464 delivery status notification for an unknown user, to the VERP address."""
    boundary = "8A1F23C0B1.1763888400/mx.example.nl"
    return _crlf(
        f"Date: {_when(1)}\nFrom: MAILER-DAEMON@{reporting_mta} (Mail Delivery System)\n"
        f"Subject: Undelivered Mail Returned to Sender\nTo: {r.envelope_from}\nAuto-Submitted: auto-replied\n"
        f"Message-Id: <20261123090100.8A1F23C0B1@{reporting_mta}>\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="{boundary}"\n\n'
        f"--{boundary}\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
        f"This is the mail system at host {reporting_mta}.\n\nI'm sorry to have to inform you that your message"
        " could not\nbe delivered to one or more recipients.\n\n"
        f"<{r.to_address}>: host {reporting_mta}[192.0.2.10] said: 550 5.1.1\n    <{r.to_address}>: "
        "Recipient address rejected: User unknown in local recipient table\n\n"
        f"--{boundary}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; {reporting_mta}\nArrival-Date: {r.date}\n\n"
        f"Final-Recipient: rfc822; {r.to_address}\nOriginal-Recipient: rfc822;{r.to_address}\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
        f"--{boundary}\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
        f"From: {_h(r.from_header)}\nTo: {r.to_address}\nSubject: {_h(r.subject)}\nMessage-ID: {r.message_id}\n\n"
        f"--{boundary}--\n"
    )
