"""parse_message never raises and never hangs, whatever bytes arrive (hypothesis)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailer.inbox.parse import ParsedMessage, parse_message

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow],
                database=None)
KINDS = {"reaction", "auto_reply", "bounce", "other"}

header_names = st.sampled_from([
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Content-Type",
    "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted", "List-Id", "Precedence", "X-Spam-Flag",
])
charsets = st.sampled_from(["utf-8", "x-unknown", "iso-8859-1", "windows-1252", "utf-16", "us-ascii", "", "utf-7",
                            "bogus\"charset", "koi8-r"])
ctypes = st.sampled_from(["text/plain", "text/html", "multipart/mixed", "multipart/alternative", "multipart/report",
                          "message/rfc822", "message/delivery-status", "application/pdf", "text/rfc822-headers",
                          "garbage", "multipart/"])
encodings = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "nonsense"])
text_bytes = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(max_size=300).map(lambda s: s.encode("latin-1", "replace")),
)


def check(raw: bytes, limit: float = 2.0) -> ParsedMessage:
    start = time.perf_counter()
    parsed = parse_message(raw)
    assert time.perf_counter() - start < limit
    assert isinstance(parsed, ParsedMessage)
    assert parsed.kind in KINDS
    assert isinstance(parsed.reply_text, str) and isinstance(parsed.errors, tuple)
    return parsed


@st.composite
def mime_messages(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(header_names, text_bytes), max_size=8))
    ctype = draw(ctypes)
    boundary = draw(st.sampled_from(["b1", "", "b1\"", "x" * 80]))
    lines = [name.encode() + b": " + value.replace(b"\n", b" ") for name, value in headers]
    lines.append(f'Content-Type: {ctype}; charset="{draw(charsets)}"; boundary="{boundary}"'.encode())
    lines.append(b"Content-Transfer-Encoding: " + draw(encodings).encode())
    body = b"\r\n".join(lines) + b"\r\n\r\n"
    for _ in range(draw(st.integers(0, 4))):
        body += b"--" + boundary.encode() + b"\r\n"
        body += f"Content-Type: {draw(ctypes)}; charset={draw(charsets)}\r\n".encode()
        body += b"Content-Transfer-Encoding: " + draw(encodings).encode() + b"\r\n\r\n"
        body += draw(text_bytes) + b"\r\n"
    if draw(st.booleans()):
        body += b"--" + boundary.encode() + b"--\r\n"
    return body


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(raw: bytes) -> None:
    check(raw)


@FUZZ
@given(mime_messages())
def test_broken_mime(raw: bytes) -> None:
    check(raw)


@FUZZ
@given(st.text(max_size=2000))
def test_random_text_as_body(text: str) -> None:
    raw = b"From: a@example.org\r\nSubject: Re: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    check(raw + text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.text(max_size=1500))
def test_random_html_body(text: str) -> None:
    raw = b"From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<blockquote><div>"
    check(raw + text.encode("utf-8", "surrogatepass") + b"</blockquote>")


def test_wrong_and_unknown_charsets() -> None:
    latin = "Ideeën voor de coöperatie, naïef?".encode("latin-1")
    parsed = check(b"From: a@b.nl\r\nSubject: Re: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + latin)
    assert "Ideeën" in parsed.reply_text and any("not valid" in e for e in parsed.errors)
    parsed = check(b"From: a@b.nl\r\nSubject: Re: x\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nHallo daar")
    assert parsed.reply_text == "Hallo daar" and any("unknown charset" in e for e in parsed.errors)
    parsed = check(b"From: =?x-unknown?Q?Anne?= <a@b.nl>\r\nSubject: =?utf-8?B?!!!?=\r\n\r\nHoi")
    assert parsed.from_address == "a@b.nl" and parsed.kind == "reaction"


def test_deeply_nested_multiparts() -> None:
    depth = 200
    raw = b"From: a@b.nl\r\nSubject: Re: x\r\n"
    for i in range(depth):
        raw += f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
    raw += b"Content-Type: text/plain\r\n\r\nDiep verstopt\r\n"
    parsed = check(raw)
    assert parsed.kind == "other" and any("nesting" in e for e in parsed.errors)
    # message/rfc822 nested in message/rfc822 as well
    inner = b"From: c@d.nl\r\nContent-Type: text/plain\r\n\r\nbinnenste"
    for _ in range(150):
        inner = b"From: c@d.nl\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    check(b"From: a@b.nl\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n" + inner + b"\r\n--z--\r\n")


def test_nul_bytes_and_missing_headers() -> None:
    parsed = check(b"\x00\x00\x00\r\n\r\nHallo\x00 wereld")
    assert "\x00" not in parsed.reply_text
    parsed = check(b"Subject: geen afzender\r\n\r\nTekst zonder From")
    assert parsed.from_address == "" and parsed.message_id is None and parsed.date is None
    check(b"")
    check(b"\r\n\r\n")
    check(b"From: a@b.nl\r\nDate: not a date at all\r\nMessage-ID: <<>>\r\n\r\nx")


def test_huge_headers() -> None:
    big = b"X-Big: " + b"a" * 2_000_000 + b"\r\n"
    folded = b"Subject: " + b"=?utf-8?q?" + b"=C3=A9" * 20000 + b"?=\r\n"
    many_words = b"To: " + b", ".join(b'"x" <x%d@b.nl>' % i for i in range(5000)) + b"\r\n"
    quotes = b'From: ' + b'"\\' * 50000 + b" <a@b.nl>\r\n"
    parsed = check(big + folded + many_words + quotes + b"\r\nHallo", limit=5.0)
    assert parsed.kind in KINDS
    assert any("longer than" in e for e in parsed.errors)


def test_very_large_parts_stay_quick() -> None:
    text = ("Dit is een lange regel tekst voor de test. " * 20 + "\n") * 4000  # ~3.5 MB
    raw = b"From: a@b.nl\r\nSubject: Re: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text.encode()
    parsed = check(raw, limit=6.0)
    assert parsed.kind == "reaction"
    one_line = b"From: a@b.nl\r\nContent-Type: text/html\r\n\r\n<p>" + b"x" * 3_000_000 + b"</p>"
    check(one_line, limit=6.0)
    base64_pdf = b"From: a@b.nl\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nZie bijlage\r\n--q\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + (b"QUJD" * 19 + b"\r\n") * 40000 + b"--q--\r\n"
    parsed = check(base64_pdf, limit=6.0)
    assert parsed.attachments and parsed.attachments[0].size > 2_000_000


def test_over_size_limit_is_not_parsed() -> None:
    raw = b"From: a@b.nl\r\nSubject: Re: groot\r\nMessage-ID: <m1@b.nl>\r\n\r\n" + b"x" * 5000
    parsed = parse_message(raw, max_bytes=1000)
    assert parsed.kind == "other" and parsed.reply_text == ""
    assert parsed.subject == "Re: groot" and parsed.message_id == "m1@b.nl" and parsed.size == len(raw)
    assert parsed.errors == (f"message larger than 1000 bytes ({len(raw)} bytes); body not parsed",)


def test_non_bytes_input() -> None:
    assert parse_message("From: a@b.nl\n\nHallo").kind == "reaction"  # type: ignore[arg-type]
    assert parse_message(None).kind == "other"  # type: ignore[arg-type]
