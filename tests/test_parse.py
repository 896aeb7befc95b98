"""parse_message: headers, text, attachments and kind on hand-made messages."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from mailer.inbox.parse import parse_message
from support.parse_eval import OWN_ADDRESSES

DATA = Path(__file__).parent / "data"


def load(name: str):
    return parse_message((DATA / f"{name}.eml").read_bytes(), own_addresses=OWN_ADDRESSES)


def test_headers_are_decoded_and_normalised() -> None:
    raw = (
        b"From: =?UTF-8?Q?Ren=C3=A9e_de_Wit?= <Renee.DeWit@Example.NL>\r\n"
        b"To: \"Verkenner\" <reacties+r-1-2-0-abc@verkenning.example.nl>, other@x.nl\r\n"
        b"Cc: cc@y.nl\r\nDelivered-To: reacties@verkenning.example.nl\r\nX-Original-To: Reacties+R-1@verkenning.example.nl\r\n"
        b"Subject: =?UTF-8?B?UmU6IElkZWXDq24gb3ZlciBkZSBjb8O2cGVyYXRpZQ==?=\r\n"
        b"Date: Tue, 24 Nov 2026 09:12:00 +0100\r\n"
        b"Message-ID: <abc.123@mail.example.nl>\r\n"
        b"In-Reply-To: <sent-1@verkenning.example.nl>\r\n"
        b"References: <older@x.nl>\r\n <sent-1@verkenning.example.nl>\r\n"
        b"\r\nGoed stuk.\r\n"
    )
    p = parse_message(raw)
    assert p.from_name == "Renée de Wit" and p.from_address == "renee.dewit@example.nl"
    assert p.subject == "Re: Ideeën over de coöperatie"
    assert p.message_id == "abc.123@mail.example.nl"
    assert p.in_reply_to == ("sent-1@verkenning.example.nl",)
    assert p.references == ("older@x.nl", "sent-1@verkenning.example.nl")
    assert p.recipients == ("reacties+r-1-2-0-abc@verkenning.example.nl", "other@x.nl", "cc@y.nl",
                            "reacties@verkenning.example.nl", "reacties+r-1@verkenning.example.nl")
    assert p.date == datetime(2026, 11, 24, 8, 12, tzinfo=timezone.utc)
    assert p.kind == "reaction" and p.reply_text == "Goed stuk." and p.errors == ()
    assert p.size == len(raw)


def test_gmail_reply_keeps_quote_html_and_full_text() -> None:
    p = load("gmail_nl_toppost")
    assert p.reply_text.startswith("Beste Marieke,") and "Anne de Vries" not in p.reply_text
    assert "twaalf huishoudens" in p.quoted_text
    assert not any(line.startswith(">") for line in p.quoted_text.split("\n"))
    assert "gmail_quote" in p.html_body
    assert "Met vriendelijke groet" in p.full_text and "twaalf huishoudens" in p.full_text
    assert p.in_reply_to == ("20261112090000.3.17.a81f2c@verkenning.example.nl",)


def test_html_only_reply_is_turned_into_clean_text() -> None:
    p = load("html_only_outlook_nl")
    assert "<div" not in p.full_text and "&nbsp;" not in p.full_text and "Namens het college" in p.full_text
    assert "Van: Verkenner Publieke Zaak" in p.quoted_text
    assert p.html_body.lstrip().startswith("<html>")


def test_attachment_recorded_with_checksum() -> None:
    p = load("attachment_pdf")
    (att,) = p.attachments
    assert att.filename == "Jaarverslag 2025 Buurtmaal Noord.pdf" and att.content_type == "application/pdf"
    assert att.data.startswith(b"%PDF-1.4") and att.size == len(att.data)
    assert att.sha256 == hashlib.sha256(att.data).hexdigest()


def test_charsets_decode() -> None:
    assert "Eén kanttekening" in load("iso_8859_1_oorspronkelijk").reply_text
    w1252 = load("windows_1252_original_message").reply_text
    assert "“De nota komt na het prototype” –" in w1252 and "€ 15.000" in w1252
    assert "naïeve" in load("qp_dutch_accents").reply_text


def test_bounce_fields() -> None:
    p = load("bounce_gmail_address_not_found")
    assert p.kind == "bounce" and p.bounce_type == "hard" and p.bounce_status == "5.1.1"
    assert p.bounced_addresses == ("hetty.doesnotexist@gmail.example.com",)
    assert p.bounced_message_id == "20261112090000.3.58.beef01@verkenning.example.nl"
    assert p.attachments == ()  # the returned original is report data, not an attachment


def test_own_addresses_never_bounced() -> None:
    raw = (b"From: MAILER-DAEMON@mx.example.net\r\nTo: bounces+b-9-x@verkenning.example.nl\r\n"
           b"Subject: Undelivered Mail Returned to Sender\r\n\r\n"
           b"This is the mail system at host mx.example.net.\r\n\r\n"
           b"I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
           b"<lezer@example.net>: host mx said: 550 5.1.1 unknown user\r\n"
           b"<nieuwsbrief@verkenning.example.nl>: host mx said: 550 5.1.1 unknown user\r\n")
    p = parse_message(raw, own_addresses=OWN_ADDRESSES)
    assert p.kind == "bounce" and p.bounced_addresses == ("lezer@example.net",)


def test_auto_reply_reason_is_recorded() -> None:
    p = load("autoreply_exchange_nl")
    assert p.kind == "auto_reply" and p.auto_reply_reason == "Auto-Submitted: auto-generated"
    assert load("autoreply_subject_only_afwezig").auto_reply_reason == "out-of-office subject"


def test_spam_list_and_empty_are_other() -> None:
    assert load("spam_flagged").kind == "other"
    assert load("mailinglist_digest").kind == "other"
    empty = load("empty_message")
    assert empty.kind == "other" and "empty message" in empty.errors


def test_list_reply_by_a_person_is_a_reaction() -> None:
    raw = (b"From: a@b.nl\r\nList-Id: <l.example.org>\r\nPrecedence: list\r\nSubject: Re: Samen verder\r\n"
           b"In-Reply-To: <x@verkenning.example.nl>\r\n\r\nIk doe mee.\r\n")
    assert parse_message(raw).kind == "reaction"


def test_attachment_only_reply_is_a_reaction() -> None:
    raw = (b"From: a@b.nl\r\nSubject: Re: x\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
           b"Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=foto.jpg\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--z--\r\n")
    p = parse_message(raw)
    assert p.kind == "reaction" and p.attachments[0].filename == "foto.jpg"


def test_bulk_marketing_mail_is_other() -> None:
    raw = (b"From: Webinar <news@vendor.example.com>\r\nSubject: Nog 3 plekken vrij!\r\nPrecedence: bulk\r\n"
           b"List-Unsubscribe: <https://vendor.example.com/u/1>\r\n\r\nMeld u nu aan.\r\n")
    assert parse_message(raw).kind == "other"


def test_raw_8bit_headers_are_read_as_utf8_else_windows_1252() -> None:
    p = parse_message(b"From: Ren\xe9e de Wit <a@b.nl>\r\nSubject: Re: co\xc3\xb6peratie\r\n\r\nGoed stuk.\r\n")
    assert (p.from_name, p.from_address, p.subject) == ("Renée de Wit", "a@b.nl", "Re: coöperatie")


def test_a_huge_header_is_cut_and_noted() -> None:
    from mailer.inbox.parse import MAX_HEADER_CHARS

    p = parse_message(b"From: a@b.nl\r\nSubject: " + b"x" * (MAX_HEADER_CHARS + 10) + b"\r\n\r\nTekst.\r\n")
    assert len(p.subject) == MAX_HEADER_CHARS and p.reply_text == "Tekst."
    assert any("longer than" in e for e in p.errors)


def test_a_sender_named_in_a_comment_keeps_the_name() -> None:
    p = parse_message(b"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\nSubject: x\r\n\r\nTekst.\r\n")
    assert (p.from_name, p.from_address) == ("Mail Delivery System", "mailer-daemon@mx.example.net")
