"""parse_message: headers, text, attachments and kind on hand-made messages."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

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


# --- the single-part fast path builds what the stdlib parser builds -------------------------------

from email import policy  # noqa: E402
from email.message import Message  # noqa: E402
from email.parser import BytesParser  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mailer.inbox import parse as parse_module  # noqa: E402


def _shape(msg: Message) -> object:
    payload = msg._payload
    if isinstance(payload, list):
        payload = [_shape(p) for p in payload]
    return (type(msg), msg.get_unixfrom(), msg._headers, payload, [(type(d), str(d)) for d in msg.defects],
            msg.preamble, msg.epilogue, msg.get_default_type(), msg._charset)


def _assert_parsed_alike(raw: bytes) -> None:
    assert _shape(parse_module._parse_bytes(raw)) == _shape(BytesParser(policy=policy.compat32).parsebytes(raw))


def test_fast_mime_parse_equals_the_stdlib_on_the_corpus() -> None:
    for path in sorted(DATA.glob("*.eml")):
        raw = path.read_bytes()
        lf = raw.replace(b"\r\n", b"\n")
        for variant in (raw, lf, lf.replace(b"\n", b"\r"), raw[: len(raw) // 2], lf.replace(b"\n\n", b"\n", 1)):
            _assert_parsed_alike(variant)


@pytest.mark.parametrize("raw", [
    b"To: x@y.nl\r\nFrom a@b.nl Tue Nov 24\r\n\r\nbody",  # a trailing "From " line is handed back as body
    b"From a@b.nl Tue Nov 24\nTo: x@y.nl\n\nbody", b"To: x\r\n\r\n", b"To: x\r\n", b"To: x", b"", b"\r\nbody",
    b"To: x\r\nno colon\r\nbody", b" first is folded\r\nTo: x\r\n\r\nbody", b"To: x\r\n \r\nSubject: y\r\n\r\nb",
    b"To: x\rSubject: y\r\rbody\r", b"Content-Type: multipart/mixed\r\n\r\nno parts",
    b"Content-Type: Message/RFC822\r\n\r\nTo: inner\r\n\r\nb", b"Content-Type: text/plain\r\n\r\n\xe9\xff\r\n",
    # line starts the plain-field reader turns down: after "\n", after a lone "\r", and the first
    b"To: x\r:y\r\n\r\nb", b"To: x\rFrom y\r\n\r\nb", b"To: x\r\n:y\r\n\r\nb", b"To: x\nFrom y\n\nb", b":y\r\n\r\nb",
    b"\tTo: x\r\n\r\nb", b"To: x\r\rSubject: y\r\n\r\nb", b"To: x\r\n\tFrom y\r\n\r\nb",
])
def test_fast_mime_parse_equals_the_stdlib_on_edge_cases(raw: bytes) -> None:
    _assert_parsed_alike(raw)


_PIECES = st.sampled_from([
    b"From: a@b.nl", b"From a@b.nl Tue Nov 24", b"To: x@y.nl", b"Subject: hi", b" folded", b"\tfolded",
    b"Content-Type: text/plain", b"Content-Type: multipart/mixed; boundary=b", b"Content-Type: message/rfc822",
    b"content-type: MESSAGE/delivery-status", b"Content-Type: text/html; charset=utf-8", b": no name",
    b"no colon here", b"--b", b"body text \xe9\xff", b"", b" ", b"X-A:", b"Content-Type:", b"Multipart: yes",
    b"Subject:\t x \t", b"Subject:  \t", b"To:x", b"Name With Space: x", b"X-\xe9: y", b"From x@y.nl:",
])
_ENDS = st.sampled_from([b"\r\n", b"\n", b"\r", b""])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(st.tuples(_PIECES, _ENDS), max_size=12), st.binary(max_size=40))
def test_fast_mime_parse_equals_the_stdlib(pieces: list[tuple[bytes, bytes]], tail: bytes) -> None:
    _assert_parsed_alike(b"".join(p + e for p, e in pieces) + tail)


# --- Content-Type parameters read once answer what the part answers -------------------------------

from mailer.inbox import parse_mime  # noqa: E402

_PARAM_HEADERS = st.sampled_from([
    "", "text/plain", 'text/plain; charset="UTF-8"; format=flowed; DelSp=Yes', "text/plain; charset*=utf-8''%E2%82%AC",
    "text/plain; charset*=bogus''x", 'text/plain; name="a.txt"; name=b', "text/plain; charset=\u00e9", ";;;", "text/plain; =x",
    "text/plain; charset", 'text/plain; name*0="a"; name*1="b.pdf"', "text/plain; FORMAT=Flowed; charset=us-ascii",
    # raw 8-bit bytes (compat32 hands back a Header object) and a value too long to be remembered
    "text/plain; charset=\udce9", "text/plain; name=" + "x" * 400, 'text/plain; charset="utf-8"',
])


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(_PARAM_HEADERS, max_size=2), st.sampled_from(["", "attachment; filename=x.pdf", "inline"]))
def test_content_type_parameters_read_once_answer_as_the_part(values: list[str], disposition: str) -> None:
    part = Message()
    for value in values:
        part["Content-Type"] = value
    if disposition:
        part["Content-Disposition"] = disposition
    for view in (parse_mime._ParamsRead(part), parse_mime._ParamsRead(part, "Content-Disposition" not in part)):
        for name in ("charset", "format", "delsp", "name", "missing"):
            assert view.get_param(name, "") == part.get_param(name, "")
        assert view.get_content_charset() == part.get_content_charset()
        assert view.get_filename() == part.get_filename()
        assert view.get_param("filename", "x", header="Content-Disposition") == part.get_param(
            "filename", "x", header="Content-Disposition")
    # and twice: the second read of a value comes from parse_mime's memory of it
    assert parse_mime._ParamsRead(part).get_param("charset", "") == part.get_param("charset", "")


# --- dates read with one regex equal the stdlib's reading ----------------------------------------

from email.utils import parsedate_to_datetime  # noqa: E402


def _date_or_error(fn, value: str) -> object:
    try:
        got = fn(value)
    except Exception as exc:  # noqa: BLE001
        return type(exc)
    return got, repr(got.tzinfo)


_DATES = st.builds(
    lambda wd, d, mon, y, hh, mm, ss, zone: f"{wd}{d} {mon} {y} {hh}:{mm}:{ss} {zone}",
    st.sampled_from(["", "Fri, ", "Mon, ", "fri, ", "Fri "]), st.sampled_from(["1", "13", "31", "0", "01", "99", "٣"]),
    st.sampled_from(["Nov", "Feb", "nov", "Xyz"]), st.sampled_from(["2026", "0050", "1999", "9999", "202"]),
    st.sampled_from(["00", "10", "23", "24", "9"]), st.sampled_from(["00", "59", "60"]), st.sampled_from(["00", "59", "60", "61"]),
    st.sampled_from(["+0000", "-0000", "+0100", "-0130", "+0199", "+2359", "+2400", "-9999", "GMT", "+01:00"]),
)


@settings(max_examples=400, deadline=None, database=None)
@given(_DATES)
def test_fast_date_reading_equals_the_stdlib(value: str) -> None:
    assert _date_or_error(parse_module._parsedate_to_datetime, value) == _date_or_error(parsedate_to_datetime, value)


# --- Headers.get's one-value shortcut answers what all() answers ---------------------------------

@pytest.mark.parametrize("values", [[], ["kort"], ["=?utf-8?q?caf=C3=A9?="], ["a", "b"],
                                    ["x" * (parse_module.MAX_HEADER_CHARS + 1)],
                                    ["kort", "y" * (parse_module.MAX_HEADER_CHARS + 5)]])
def test_header_get_equals_the_first_of_all(values: list[str]) -> None:
    msg = Message()
    for value in values:
        msg["Subject"] = value
    got_errors: list[str] = []
    all_errors: list[str] = []
    got = parse_module.Headers(msg, got_errors).get("subject")
    every = parse_module.Headers(msg, all_errors).all("subject")
    assert got == (every[0] if every else "")
    assert got_errors == all_errors


# --- ParsedMessage built without its __init__ is the one __init__ builds --------------------------

import pickle  # noqa: E402


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.eml"))[:12])
def test_parsed_message_built_fast_equals_init(name: str) -> None:
    result = parse_message((DATA / name).read_bytes())
    values = {f: getattr(result, f) for f in parse_module._PARSED_DEFAULTS if f not in ("kind", "errors", "size")}
    fast = parse_module._parsed(values, kind=result.kind, errors=result.errors)
    plain = parse_module.ParsedMessage(**values, kind=result.kind, errors=result.errors)
    assert fast == plain and type(fast) is type(plain)
    assert list(vars(fast).items()) == list(vars(plain).items())
    assert pickle.dumps(fast) == pickle.dumps(plain)
    assert hash(fast) == hash(plain)


@pytest.mark.parametrize("parts, more", [({}, {}), ({"nonsense": 1}, {"kind": "other"}), ({"kind": "other"}, {"kind": "other"})])
def test_parsed_message_built_fast_refuses_what_init_refuses(parts: dict, more: dict) -> None:
    with pytest.raises(TypeError):
        parse_module._parsed(parts, **more)


def test_own_addresses_are_lowered_per_tuple() -> None:
    own = ("Reacties@Example.org", "Bounces@Example.org")
    assert parse_module._lowered(own) == ("reacties@example.org", "bounces@example.org")
    assert parse_module._lowered(own) == ("reacties@example.org", "bounces@example.org")  # remembered
    assert parse_module._lowered(("A@B.nl",)) == ("a@b.nl",)
    assert parse_module._lowered(()) == ()
    assert parse_module._lowered(["X@Y.nl"]) == ("x@y.nl",)  # not a tuple: made every time


# --- a one-part text/plain message read directly is what the full MIME walk reads ----------------

from email.parser import Parser  # noqa: E402


def _walked(msg: Message, fast: bool, indexed: bool = False) -> object:
    """collect_parts with or without the one-part text/plain path (given parse's header index of
    the message, as parse_message gives it, or not), and what it left behind."""
    errors: list[str] = []
    saved = parse_mime._single_text_plain
    if not fast:
        parse_mime._single_text_plain = lambda *args: None
    index = parse_module.Headers(msg) if indexed else None
    try:
        body = parse_mime.collect_parts(msg, errors, index._raw if index is not None and index.plain else None)
    except Exception as exc:  # noqa: BLE001
        return type(exc)
    finally:
        parse_mime._single_text_plain = saved
    found = dict(vars(body), returned_headers=[_shape(m) for m in body.returned_headers])
    return found, errors, [(type(d), str(d)) for d in msg.defects]


def _assert_walked_alike(raw: bytes | str, default_type: str | None = None) -> None:
    def parsed() -> Message:
        msg = (BytesParser if isinstance(raw, bytes) else Parser)(policy=policy.compat32).parse(
            __import__("io").BytesIO(raw) if isinstance(raw, bytes) else __import__("io").StringIO(raw))
        if default_type:
            msg.set_default_type(default_type)
        return msg
    walked = _walked(parsed(), False)
    assert _walked(parsed(), True) == walked
    assert _walked(parsed(), True, indexed=True) == walked
    single = parse_mime._single_text_plain(parsed())
    if single is not None:  # the payload bytes are get_payload(decode=True)'s
        assert single[0] == parsed().get_payload(decode=True)
    msg = parsed()
    assert parse_mime._single_text_plain(msg, parse_module.Headers(msg)._raw) == single


_CONTENT_TYPES = st.sampled_from([
    None, "text/plain", 'text/plain; charset="utf-8"', "TEXT/PLAIN; CHARSET=ISO-8859-1", "text/plain; charset=bogus-x",
    "text/plain; charset=utf-16", "text/plain; charset=us-ascii; format=flowed", "text/plain; format=flowed; delsp=yes",
    'text/plain; format="Flowed"; DelSp="Yes"', "text/plain; charset*=utf-8''utf-8", "text/plain; charset*=bogus''x",
    'text/plain; name="a.txt"', "text/plain; name=", "text/plain; name==?utf-8?q?a?=", "text/html; charset=utf-8",
    "text/plain/x", "text", "", ";", "application/octet-stream", "multipart/mixed; boundary=b", "message/rfc822",
    "text/plain; charset=windows-1252 ", " text/plain", "text/plain; charset=\u00e9", "text/plain; charset=" + "x" * 300,
    "text/rfc822-headers", "text/plain; charset=utf-8; charset=latin1",
])
_CTES = st.sampled_from([None, "quoted-printable", "Quoted-Printable", "quoted-printable ", "7bit", "8bit", "binary",
                         "base64", "BASE64", "x-uuencode", "uue", "bogus", "q\u00e9"])
_BODIES = st.lists(st.sampled_from([
    "Dank je", "co=C3=B6peratie", "herke=\r\nn", "soft=\nbreak", "=3D=20", "=\r", "=", "=ZZ", "=c3=a9", "naïeve",
    "\u00e9\u20ac", "caf\udcc3\udca9", "\udce9", "\x00", "\r\n", "\n", "\r", " ", "> quoted line ", "-- ", "", "\t",
    "aGVsbG8=", "begin 644 x\r\n#86)C\r\nend",
]), max_size=14)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(_CONTENT_TYPES, max_size=2), st.lists(_CTES, max_size=2), st.sampled_from([None, "inline", "attachment"]),
       _BODIES, st.sampled_from(["\r\n", "\n"]), st.sampled_from([None, "message/rfc822", "text/plain"]))
def test_one_text_plain_part_read_directly_equals_the_walk(ctypes: list[str | None], ctes: list[str | None],
                                                           disposition: str | None, body: list[str], eol: str,
                                                           default_type: str | None) -> None:
    head = "From: a@b.nl" + eol
    for value in ctypes:
        if value is not None:
            head += f"Content-Type: {value}{eol}"
    for value in ctes:
        if value is not None:
            head += f"Content-Transfer-Encoding: {value}{eol}"
    if disposition:
        head += f"Content-Disposition: {disposition}{eol}"
    text = head + eol + "".join(body)
    if all(ord(c) < 0x80 or 0xDC80 <= ord(c) <= 0xDCFF for c in text):  # bytes as a parsed reply has them
        raw = text.encode("ascii", "surrogateescape")
        _assert_walked_alike(raw, default_type)
        if not any(0xDC80 <= ord(c) <= 0xDCFF for c in text):
            _assert_walked_alike(raw.decode("ascii"), default_type)
    else:
        _assert_walked_alike(text, default_type)  # a message made from a str: other characters in it


@pytest.mark.parametrize("raw", [
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nco=C3=B6p=\r\neratie\r\n",
    b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nna\xefeve\r\n",
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nna\xc3\xafeve\r\n", b"Subject: x\r\n\r\nplain ascii\r\n",
    b"Content-Type: text/plain; format=flowed\r\n\r\nsoft \r\nbreak\r\n> a \r\n> b\r\n",
])
def test_one_text_plain_part_is_read_directly(raw: bytes) -> None:
    assert parse_mime._single_text_plain(BytesParser(policy=policy.compat32).parsebytes(raw)) is not None
    _assert_walked_alike(raw)


def test_one_text_plain_part_read_directly_on_the_corpus() -> None:
    for path in sorted(DATA.glob("*.eml")):
        raw = path.read_bytes()
        lf = raw.replace(b"\r\n", b"\n")
        for variant in (raw, lf, lf.replace(b"\n", b"\r")):
            _assert_walked_alike(variant)


# --- line ends translated in one pass are the two replacements' ----------------------------------

@settings(max_examples=400, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(["\r", "\n", "\x00", "a", " ", "\u00e9", "\u010d", "\u20ac", "\U0001f600",
                                         "\x85", "\u2028", "\x0b"]), max_size=40))
def test_line_ends_translated_as_replaced(text: str) -> None:
    expected = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    assert parse_mime._decode_bytes(text.encode("utf-8"), "utf-8", []) == expected
    assert parse_mime._decode_bytes(text.encode("utf-16"), "utf-16", []) == expected


# --- a "\r\n" header block read in fewer passes is what _HEADER_LINES and the plain reader read ----

_CRLF_LINES = st.sampled_from([
    "From: a@b.nl", "From a@b.nl Tue Nov 24", "To: x@y.nl", "Subject: hi", " folded", "\tfolded", " ", "\t",
    "Content-Type: text/plain", "Content-Type: multipart/mixed; boundary=b", ": no name", "no colon here",
    "X-A:", "Subject:\t x \t", "To:x", "Name With Space: x", "X-\udce9: y", "X-B: \udce9", "From x@y.nl:", "a:b:c",
    "X-C: x\ry", "X-D: x\ny", "X-E: x\r", "\rX-F: y", "", "~!: y", "X-G:\t\t",
    # lone "\r" and "\n" in continuation lines, where "\r\n" alone would count the lines wrong
    " y\rz", "\ty\nz", " y\r", " b\n C: 2\r", "\ty\n", " y\n\r",
])


def _crlf_reading_of_the_old_passes(text: str) -> object:
    end = parse_module._HEADER_LINES.match(text).end()
    if not text.startswith("\r\n", end):
        return None
    msg = parse_module._parse_plain_header_block(text[:end])
    return None if msg is None else (end, msg._headers)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(_CRLF_LINES, max_size=10), st.sampled_from(["\r\n", "\r\nbody\r\n", "\r\n\r\n", "\n", "", "\r\nx\n\r\n"]))
def test_crlf_header_block_read_as_by_the_old_passes(lines: list[str], tail: str) -> None:
    text = "".join(line + "\r\n" for line in lines) + tail
    got = parse_module._crlf_header_fields(text)
    if got is not None:
        assert got == _crlf_reading_of_the_old_passes(text)
    elif "\r\n\r\n" in text and not text.startswith("\r\n") and not any("\r" in x or "\n" in x for x in lines):
        # with only "\r\n" line ends up to the empty line, a block it turns down is not plain (an
        # empty block, the text starting with its empty line, is left to the old passes too)
        head = text[:text.find("\r\n\r\n") + 2]
        assert _crlf_reading_of_the_old_passes(head + "\r\n") is None
    _assert_parsed_alike(text.encode("ascii", "surrogateescape"))


# --- one "<id>" read with one fullmatch is what the general reading makes of it ------------------

def _message_ids_in_general(value: str) -> tuple[str, ...]:
    found = parse_module._MSGID.findall(value)
    if not found:
        found = [tok for tok in value.split() if "@" in tok]
    seen: dict[str, None] = {}
    for mid in found:
        seen.setdefault(mid.strip(), None)
    return tuple(k for k in seen if k)


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(st.sampled_from(["<", ">", "a", "@", "b.nl", " ", "\t", "\u00a0", "\u2028", "\r\n", "x" * 500, "\udce9"]),
                max_size=8))
def test_one_message_id_read_as_in_general(pieces: list[str]) -> None:
    for value in ("".join(pieces), "<" + "".join(pieces) + ">"):
        assert parse_module.message_ids(value) == _message_ids_in_general(value)


def test_header_index_is_plain_only_for_str_names_and_values() -> None:
    from email.header import Header
    msg = BytesParser(policy=policy.compat32).parsebytes(b"Content-Type: text/plain\r\nSubject: x\r\n\r\nbody\r\n")
    assert parse_module.Headers(msg).plain and parse_module.Headers(msg).quiet().plain
    msg["X-Other"] = Header("caf\u00e9", "utf-8")
    index = parse_module.Headers(msg)
    assert not index.plain and not index.quiet().plain and index.get("x-other") == "café"
    assert _walked(msg, True, indexed=True) == _walked(msg, False)


def test_kind_headers_are_every_header_the_kind_tests_read() -> None:
    """_parse_full skips _is_spam and _is_list_traffic and hands autoreply.detect a getter without
    look-ups when a message has none of _KIND_HEADERS: that set must hold every name they ask for,
    on every branch (getters answering nothing, "no", "yes" and a list's values)."""
    from mailer.inbox import autoreply
    asked: set[str] = set()
    answers = [{}, {"*": "no"}, {"*": "yes"}, {"list-unsubscribe": "<mailto:x@y>", "precedence": "bulk"},
               {"precedence": "junk"}, {"x-auto-response-suppress": "All"}]
    for answer in answers:
        def h(name: str, answer: dict = answer) -> str:
            asked.add(name.lower())
            return answer.get(name.lower(), answer.get("*", ""))
        for subject in ("", "Re: Samen verder", "Afwezig: Samen verder", "Automatisch antwoord"):
            parse_module._is_spam(h)
            parse_module._is_list_traffic(h, (), (), subject)
            autoreply.detect(h, subject, "Ik ben afwezig tot maandag.")
    assert asked == parse_module._KIND_HEADERS
    assert parse_module._no_header("X-Spam") == ""


@pytest.mark.parametrize("raw", [
    b"From: Anne <a@b.nl>\r\nFROM: second <c@d.nl>\r\nSubject: x\r\n\r\nbody\r\n",
    b"Subject: no sender\r\n\r\nbody\r\n",
    b"From: \xc3\xa9 <a@b.nl>\r\n\r\nbody\r\n",
    b"from:   Mail Delivery System <MAILER-DAEMON@x.nl>\r\n\r\nbody\r\n",
    b"From:\r\n\r\nbody\r\n",
    b"From: =?utf-8?q?Anne?= <a@b.nl>\n folded\n\nbody\n",
])
def test_raw_from_is_what_message_get_returns(raw: bytes) -> None:
    _assert_raw_from_alike(parse_module._parse_bytes(raw))


def test_raw_from_is_what_message_get_returns_on_the_corpus() -> None:
    for path in sorted(DATA.glob("*.eml")):
        _assert_raw_from_alike(parse_module._parse_bytes(path.read_bytes()))
    msg = parse_module._parse_bytes(b"From: \xc3\xa9 <a@b.nl>\r\n\r\nbody\r\n")
    assert parse_module._raw_from(parse_module.Headers(msg)) is None  # surrogates: get hands back a Header


def _assert_raw_from_alike(msg: Message) -> None:
    from mailer.inbox import bounces
    from_header = parse_module._raw_from(parse_module.Headers(msg))
    if from_header is not None:
        assert from_header == msg.get("From", "")
        assert from_header[:300] == bounces._from_name(msg)
