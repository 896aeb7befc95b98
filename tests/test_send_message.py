"""Message building: the bytes equal a reference built with EmailMessage and decode to compose's rendering."""

from __future__ import annotations

from email import message_from_bytes
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest
from test_send_kit import SLUG, make_runtime

from mailer import tokens
from mailer.stores import newsletters
from mailer.compose.model import Personalisation, RenderedParts
from mailer.send.dkim import relaxed_body
from mailer.send.message import MessageBuilder, Recipient, format_address
from mailer.send.sender import load_newsletter


@pytest.fixture
def built(tmp_path):
    rt = make_runtime(tmp_path)
    nl, compiled = load_newsletter(rt, SLUG)
    row = newsletters.sync(rt.db, nl)
    builder = MessageBuilder(rt.config, rt.key, row.id, nl, compiled)
    yield rt, nl, row, builder
    rt.close()


def format_expected(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        return "lezer@example.org"
    return (f'"{name}"' if any(c in name for c in ',.()') else name) + " <lezer@example.org>"


def _reference(rt, builder: MessageBuilder, r: Recipient, person: Personalisation, parts: RenderedParts,
               date: str) -> EmailMessage:
    cfg = rt.config
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(cfg.sender.from_name, addr_spec=cfg.sender.from_address)
    msg["To"] = Address(r.name, addr_spec=r.email) if r.name else r.email
    msg["Subject"] = builder.subject
    msg["Reply-To"] = person.reply_address
    msg["Date"] = date
    msg["Message-ID"] = r.message_id
    msg["List-Id"] = cfg.sender.list_id
    msg["List-Unsubscribe"] = f"<{person.unsubscribe_url}>, <mailto:x>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(parts.text, cte="quoted-printable")
    msg.add_alternative(parts.html, subtype="html", cte="quoted-printable")
    return message_from_bytes(msg.as_bytes(), policy=default)


@pytest.mark.parametrize("name", ["Ëlla van 't Hoff", "Jan de Vries", "", "Dr. J. (Jo) Bakker, MSc",
                                  "Łukasz Ĳsselmeer-Çelik " * 4])
def test_bytes_match_an_emailmessage_reference(built, name):
    rt, nl, row, builder = built
    r = Recipient(41, 7, "lezer@example.org", name, "<1.7.abc@verkenning.example.nl>")
    person = builder.personalisation(7, r.email, name)
    parts = builder.compiled.render(person)
    data = builder.assemble(r, person, parts)
    assert b"\n" not in data.replace(b"\r\n", b"")          # CRLF only
    assert max(len(line) for line in data.split(b"\r\n")) <= 78   # well under 998
    assert data.isascii()
    got = message_from_bytes(data, policy=default)
    ref = _reference(rt, builder, r, person, parts, got["Date"])
    for header in ("From", "To", "Subject", "Reply-To", "Message-ID", "List-Id", "List-Unsubscribe-Post",
                   "MIME-Version"):
        assert str(got[header]) == str(ref[header]), header
    # decode_header follows RFC 2047 (white space between encoded-words is dropped); the new
    # parser's display_name inserts spaces at encoded-word joins (a CPython quirk), so use the former.
    raw_to = message_from_bytes(data)["To"]
    assert str(make_header(decode_header(raw_to))) == format_expected(name)
    assert got["Subject"] == nl.subject
    assert got.get_content_type() == "multipart/alternative"
    plain, html = got.get_payload()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    ref_plain, ref_html = ref.get_payload()
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == ref_plain.get_content().replace("\r\n", "\n").rstrip("\n")
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == ref_html.get_content().replace("\r\n", "\n").rstrip("\n")
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert plain.get_content_charset() == "utf-8"


def test_headers_for_bulk_senders(built):
    rt, nl, row, builder = built
    r = Recipient(41, 7, "lezer@example.org", "Ëlla van 't Hoff", "<1.7.abc@verkenning.example.nl>")
    msg = message_from_bytes(builder.build(r), policy=default)
    assert msg["Message-ID"] == "<1.7.abc@verkenning.example.nl>"
    assert msg["Date"] and msg["MIME-Version"] == "1.0"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsub = msg["List-Unsubscribe"]
    assert "<http://127.0.0.1:8080/afmelden/u-" in unsub and "<mailto:reacties+u-" in unsub
    token = tokens.read_reply_address(rt.key, str(msg["Reply-To"]))
    assert (token.newsletter_id, token.subscriber_id, token.theme_index) == (row.id, 7, 0)
    assert msg["From"].addresses[0].display_name == "Verkenner Publieke Zaak"
    # Per-theme reply addresses in the body carry the theme index of the newsletter.
    text = msg.get_payload()[0].get_content()
    for theme in nl.themes:
        address = builder.personalisation(7, r.email, r.name).theme_reply_addresses[theme.slug]
        assert address in text
        assert tokens.read_reply_address(rt.key, address).theme_index == nl.theme_index(theme.slug)
    assert "Beste Ëlla van 't Hoff" in text or "Ëlla" in text


def test_envelope_sender_is_verp_naming_the_delivery(built):
    rt, nl, row, builder = built
    assert tokens.read_bounce_address(rt.key, builder.envelope_sender(41)) == 41
    assert builder.envelope_sender(0) == rt.config.sender.bounce_address


def test_long_lines_and_dots_survive(built):
    rt, nl, row, builder = built
    r = Recipient(1, 1, "a@example.org", "A", "<x@verkenning.example.nl>")
    person = builder.personalisation(1, r.email, r.name)
    long_html = "<p>" + "woord=één " * 500 + "</p>\n.\n.punt aan het begin"
    data = builder.assemble(r, person, RenderedParts(html=long_html, text=".\nregel\n"))
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    msg = message_from_bytes(data, policy=default)
    assert msg.get_payload()[1].get_content().replace("\r\n", "\n") == long_html
    assert msg.get_payload()[0].get_content().replace("\r\n", "\n") == ".\nregel\n"


def test_format_address_encodes_non_ascii_names():
    assert format_address("", "a@b.nl") == "a@b.nl"
    assert format_address("Jan, de Vries", "a@b.nl") == '"Jan, de Vries" <a@b.nl>'
    assert format_address("Ëlla", "a@b.nl").startswith("=?utf-8?")


@pytest.mark.parametrize("name", ["Jan", "", "Ëlla <&> \"x\" van 't Hoff", ".punt", "bel\x07letje", "x" * 300,
                                  "tab\there  twee  spaties", "is=gelijk"])
def test_template_filled_bodies_decode_to_exactly_what_compose_rendered(built, name):
    """The bodies are filled from pieces encoded once per newsletter; what a reader's mail program
    decodes is exactly compose's rendering for that reader (what 'mailer render' shows)."""
    rt, nl, row, builder = built
    r = Recipient(9, 9, "lezer9@example.org", name, "<m@verkenning.example.nl>")
    data = builder.build(r)
    parts = builder.compiled.render(builder.personalisation(9, r.email, name))
    body = data.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76     # RFC 2045 line limit in the bodies
    assert b"\r\n." not in data and not data.startswith(b".")      # nothing for SMTP to dot-stuff
    assert relaxed_body(body) == body                                # nothing for DKIM's relaxed form to change
    msg = message_from_bytes(data, policy=default)
    plain, html = msg.get_payload()
    assert plain.get_content().replace("\r\n", "\n") == parts.text.replace("\r\n", "\n")
    assert html.get_content().replace("\r\n", "\n") == parts.html.replace("\r\n", "\n")
