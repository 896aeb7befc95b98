"""Bounce recognition and hard/soft classification."""

from __future__ import annotations

import pytest

from mailer.inbox.bounces import classify
from mailer.inbox.parse import parse_message

OWN = ("nieuwsbrief@verkenning.example.nl", "reacties@verkenning.example.nl", "bounces@verkenning.example.nl")


@pytest.mark.parametrize(("status", "diagnostic", "action", "expected"), [
    ("5.1.1", "550 5.1.1 User unknown", "failed", "hard"),
    ("5.1.10", "RESOLVER.ADR.RecipientNotFound", "failed", "hard"),
    ("5.2.2", "552 Mailbox full", "failed", "soft"),
    ("5.7.1", "550 5.7.1 Message rejected as spam", "failed", "hard"),
    ("4.2.2", "452 4.2.2 Over quota", "failed", "soft"),
    ("4.7.1", "450 Greylisted, try again later", "delayed", "soft"),
    ("5.0.0", "quota exceeded", "failed", "soft"),
    ("", "Host or domain name not found", "failed", "hard"),
    ("", "mailbox is full", "failed", "soft"),
    ("", "421 try again later", "failed", "soft"),
    ("", "550 rejected", "failed", "hard"),
    ("5.1.1", "", "delayed", "soft"),
])
def test_classify(status: str, diagnostic: str, action: str, expected: str) -> None:
    assert classify(status, diagnostic, action) == expected


def dsn(action: str, status: str, recipient: str = "lezer@example.net", extra: str = "") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: bounces+b-7-abc@verkenning.example.nl\r\n"
        "Subject: Delivery report\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nReport.\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n{extra}\r\n"
        "--R--\r\n"
    ).encode()


def test_rfc3464_failed_is_hard_bounce() -> None:
    p = parse_message(dsn("failed", "5.1.1"), own_addresses=OWN)
    assert (p.kind, p.bounced_addresses, p.bounce_type, p.bounce_status) == (
        "bounce", ("lezer@example.net",), "hard", "5.1.1")


def test_rfc3464_delayed_only_is_soft_bounce() -> None:
    p = parse_message(dsn("delayed", "4.4.7"), own_addresses=OWN)
    assert (p.kind, p.bounce_type, p.bounce_status) == ("bounce", "soft", "4.4.7")


def test_rfc3464_delivered_is_not_a_bounce() -> None:
    assert parse_message(dsn("delivered", "2.0.0"), own_addresses=OWN).kind == "other"


def test_rfc3464_own_address_is_never_reported() -> None:
    p = parse_message(dsn("failed", "5.1.1", recipient="Nieuwsbrief@Verkenning.example.nl"), own_addresses=OWN)
    assert p.bounced_addresses == ()


def test_rfc3464_addresses_are_lower_cased() -> None:
    p = parse_message(dsn("failed", "5.1.1", recipient="<Lezer.Naam@Example.NET>"), own_addresses=OWN)
    assert p.bounced_addresses == ("lezer.naam@example.net",)


def test_qmail_with_several_addresses() -> None:
    raw = (b"From: MAILER-DAEMON@mail.x.net\r\nSubject: failure notice\r\n\r\n"
           b"Hi. This is the qmail-send program at mail.x.net.\r\n"
           b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
           b"<een@x.net>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
           b"<twee@x.net>:\r\nThis mailbox is full. (#4.2.2)\r\n\r\n"
           b"--- Below this line is a copy of the message.\r\n\r\nFrom: nieuwsbrief@verkenning.example.nl\r\n"
           b"Message-ID: <orig-1@verkenning.example.nl>\r\n\r\nBeste lezer\r\n")
    p = parse_message(raw, own_addresses=OWN)
    assert p.kind == "bounce" and p.bounced_addresses == ("een@x.net", "twee@x.net")
    assert p.bounced_message_id == "orig-1@verkenning.example.nl"


def test_message_ids_in_notice_are_not_addresses() -> None:
    raw = (b"From: postmaster@x.net\r\nSubject: Undeliverable: Samen verder\r\n\r\n"
           b"Delivery has failed to these recipients or groups:\r\n\r\nlezer@x.net\r\n"
           b"The email address you entered couldn't be found.\r\n\r\nMessage-ID: <abc123@mail.x.net>\r\n")
    assert parse_message(raw, own_addresses=OWN).bounced_addresses == ("lezer@x.net",)


def test_reader_talking_about_delivery_is_not_a_bounce() -> None:
    raw = (b"From: lezer@x.net\r\nSubject: Re: Samen verder\r\n\r\n"
           b"Mijn vorige mail kon niet worden afgeleverd, user unknown zei de server. Nu dan opnieuw: mooi stuk!\r\n")
    assert parse_message(raw, own_addresses=OWN).kind == "reaction"


def test_x_failed_recipients_header_is_used() -> None:
    raw = (b"From: Mail Delivery System <Mailer-Daemon@smtp.x.net>\r\n"
           b"Subject: Mail delivery failed: returning message to sender\r\n"
           b"X-Failed-Recipients: Lid@Vereniging.example.org\r\n\r\n"
           b"This message was created automatically by mail delivery software.\r\n\r\n"
           b"A message that you sent could not be delivered. Contact postmaster@smtp.x.net for help.\r\n")
    p = parse_message(raw, own_addresses=OWN)
    assert p.kind == "bounce" and p.bounced_addresses == ("lid@vereniging.example.org",)


def notice(body: str, sender: str = "MAILER-DAEMON@mx.example.net", subject: str = "Returned mail") -> bytes:
    return (f"From: {sender}\r\nTo: bounces+b-7-abc@verkenning.example.nl\r\nSubject: {subject}\r\n\r\n"
            + body.replace("\n", "\r\n")).encode()


@pytest.mark.parametrize(("body", "expected"), [
    ("Could not deliver message to the following recipient(s):\n\nFailed Recipient: lezer@x.net\n"
     "Reason: Remote host said: 550 unknown user\n", ("lezer@x.net",)),
    ("Delevery to the following recipients failed permanently:\n\n   * lezer@x.net\n\nTechnical details:\n"
     "SMTP:RCPT host 192.0.2.1: 553 5.3.0 No such user here\n", ("lezer@x.net",)),
    ("|---- Failed addresses follow: ----|\n lezer@x.net ... unknown host\n", ("lezer@x.net",)),
    ("----- The following addresses had permanent fatal errors -----\nlezer@forward.example\n"
     "    (expanded from: lezer@x.net)\n", ("lezer@forward.example", "lezer@x.net")),
    ("Unable to deliver message to the following address(es).\n\n<a@x.net>:\nSorry, account disabled.\n\n"
     "<b@x.net>:\nSorry, account disabled.\n\n--- Original message follows.\n\nTo: c@x.net\n", ("a@x.net", "b@x.net")),
    ("Your message\n\n  To: andere@lijst.example\n  Subject: Samen verder\n\ndid not reach the following "
     "recipient(s):\n\nlezer@x.net on Tue, 24 Nov 2026 09:00:00 +0100\n    The recipient name is not recognized\n",
     ("lezer@x.net",)),
    ("Delivery to smtp=Lezer@X.net failed: could not be delivered.\n", ("lezer@x.net",)),
])
def test_notices_of_other_mail_systems(body: str, expected: tuple[str, ...]) -> None:
    p = parse_message(notice(body), own_addresses=OWN)
    assert p.kind == "bounce"
    assert sorted(p.bounced_addresses) == sorted(expected)


def test_mail_system_known_by_display_name_or_null_sender() -> None:
    body = "The email below could not be delivered to the following user:\n\n\"lezer@x.net\" <lezer@x.net>\n"
    for sender in ("Mail Delivery System <admin@mx.example.net>", "<>"):
        p = parse_message(notice(body, sender=sender, subject="Non-Delivery"), own_addresses=OWN)
        assert (p.kind, p.bounced_addresses) == ("bounce", ("lezer@x.net",))


def test_copy_marker_in_the_middle_of_a_line() -> None:
    body = ("I'm afraid I wasn't able to deliver the following message. Subject: Samen verder To: lezer@x.net "
            "---Below this line is a copy of the message. To: iemand@anders.example")
    p = parse_message(notice(body, subject="Failure Notice"), own_addresses=OWN)
    assert p.bounced_addresses == ("lezer@x.net",)


def test_person_whose_mail_mentions_failed_delivery_is_not_a_bounce() -> None:
    raw = ("From: Anne <anne@x.net>\r\nTo: reacties@verkenning.example.nl\r\nSubject: Re: Samen verder\r\n\r\n"
           "Mijn vorige mail could not be delivered, zei Outlook. Dus nogmaals: mooi stuk!\r\n").encode()
    assert parse_message(raw, own_addresses=OWN).kind == "reaction"


def _wrapped_report(outer_from: str, outer_subject: str) -> bytes:
    """A delivery-status report that a gateway passed on whole, as an attached message."""
    report = (
        "From: postmaster@mx.gemeente.example.nl\r\nTo: bounces@verkenning.example.nl\r\n"
        "Subject: Delivery Status Notification (Failure)\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="inner"\r\n\r\n'
        "--inner\r\nContent-Type: text/plain\r\n\r\nDelivery to the following recipients failed.\r\n"
        "       anne.devries@gemeente.example.nl\r\n"
        "--inner\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns;mx.gemeente.example.nl\r\n\r\n"
        "Final-Recipient: rfc822;anne.devries@gemeente.example.nl\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--inner--\r\n"
    )
    return (
        f"From: {outer_from}\r\nTo: bounces@verkenning.example.nl\r\nSubject: {outer_subject}\r\n"
        "Message-ID: <wrapped-1@gateway.example.nl>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        "--outer\r\nContent-Type: text/plain\r\n\r\nSee the attached report.\r\n"
        "--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=report.eml\r\n\r\n"
        + report + "--outer--\r\n"
    ).encode()


def test_a_report_wrapped_whole_by_a_gateway_is_read() -> None:
    p = parse_message(_wrapped_report("postmaster@gateway.example.nl", "Delivery Status Notification (Failure)"))
    assert p.kind == "bounce"
    assert p.bounced_addresses == ("anne.devries@gemeente.example.nl",)
    assert (p.bounce_type, p.bounce_status) == ("hard", "5.1.1")


def test_a_reader_forwarding_a_bounce_is_not_a_bounce() -> None:
    p = parse_message(_wrapped_report("Pieter Jansen <pieter@lezer.example.nl>", "Fwd: deze kwam terug"))
    assert p.kind != "bounce" and p.bounced_addresses == ()


def test_a_list_servers_own_addresses_are_no_failures() -> None:
    raw = (b"From: teamlijst-owner@lijsten.x.org\r\nSubject: Bericht geweigerd\r\nAuto-Submitted: auto-replied\r\n\r\n"
           b"Uw bericht aan teamlijst@lijsten.x.org kon niet worden bezorgd: alleen leden mogen posten.\r\n"
           b"Vragen? Schrijf owner-teamlijst@lijsten.x.org, teamlijst-request@lijsten.x.org of mailman@lijsten.x.org.\r\n")
    p = parse_message(raw, own_addresses=OWN)
    assert (p.kind, p.bounced_addresses) == ("bounce", ("teamlijst@lijsten.x.org",))


def test_advice_and_placeholders_in_a_notice_are_no_failures() -> None:
    raw = (b"From: MAILER-DAEMON@post.x.edu\r\nSubject: Returned mail\r\n\r\n"
           b"Message not delivered to the following:\r\n\r\n"
           b"  a.baker@x.edu    No match in the directory\r\n\r\n"
           b"If a.b@x.edu fails, try the full form, for example anna.baker@x.edu.\r\n"
           b"Former staff: write to NAME@alumni.x.edu.\r\n")
    assert parse_message(raw, own_addresses=OWN).bounced_addresses == ("a.baker@x.edu",)
    # With no recipient line to go by, every address but the advice and the placeholders.
    raw = raw.replace(b"  a.baker@x.edu    No match in the directory", b"a.baker@x.edu was refused")
    assert parse_message(raw, own_addresses=OWN).bounced_addresses == ("a.baker@x.edu",)


@pytest.mark.parametrize(("subject", "sender", "body", "notice"), [
    ("Read: Samen verder", "lezer@x.net", "Your message\n\n  To: Lezer\n\nwas read on Thursday, 12 November 2026.", True),
    ("Niet gelezen: Samen verder", "lezer@x.net", "Uw bericht is verwijderd zonder te zijn gelezen op vrijdag.", True),
    ("Doorgestuurd: Samen verder", "postmaster@x.net",
     "De bezorging bij deze geadresseerden of groepen is voltooid, maar de doelserver heeft geen melding gestuurd.", True),
    # A reader's words, and a reader forwarding: no notices.
    ("Re: Samen verder", "lezer@x.net", "Uw stuk is gelezen op de raad van dinsdag, mooi!", False),
    ("Doorgestuurd: Samen verder", "lezer@x.net", "Zie hieronder, is gelezen op het werk.", False),
])
def test_plain_text_receipts_and_relay_notices_are_other(subject: str, sender: str, body: str, notice: bool) -> None:
    from mailer.inbox.bounces import is_delivery_notice

    assert is_delivery_notice(subject, sender, body) is notice
    raw = f"From: {sender}\r\nSubject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n".encode()
    assert parse_message(raw, own_addresses=OWN).kind == ("other" if notice else "reaction")
