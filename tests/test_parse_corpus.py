"""Every .eml under tests/data is parsed and checked against its <name>.expected.json sidecar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailer.inbox.parse import parse_message
from support.parse_eval import OWN_ADDRESSES, evaluate, normalise

DATA = Path(__file__).parent / "data"
CASES = sorted(p for p in DATA.glob("*.eml") if p.with_suffix(".expected.json").exists())


def test_corpus_is_large_enough() -> None:
    kinds = [json.loads(p.with_suffix(".expected.json").read_text(encoding="utf-8"))["kind"] for p in CASES]
    assert len(CASES) >= 35
    assert {"reaction", "auto_reply", "bounce", "other"} <= set(kinds)
    assert kinds.count("bounce") >= 7 and kinds.count("auto_reply") >= 3


@pytest.mark.parametrize("eml", CASES, ids=[p.stem for p in CASES])
def test_corpus_case(eml: Path) -> None:
    expected = json.loads(eml.with_suffix(".expected.json").read_text(encoding="utf-8"))
    parsed = parse_message(eml.read_bytes(), own_addresses=OWN_ADDRESSES)
    assert parsed.kind == expected["kind"]
    if expected.get("reply_text") is not None:
        assert normalise(parsed.reply_text) == normalise(expected["reply_text"])
    if expected.get("bounced_addresses") is not None:
        assert sorted(parsed.bounced_addresses) == sorted(expected["bounced_addresses"])
    for key in ("bounce_type", "bounce_status", "bounced_message_id"):
        if key in expected:
            assert getattr(parsed, key) == expected[key], key
    if "attachments" in expected:
        got = [{"filename": a.filename, "content_type": a.content_type, "size": a.size} for a in parsed.attachments]
        assert got == expected["attachments"]
    if parsed.kind == "reaction":
        # What a reader wrote is never mixed up with the newsletter they answered.
        assert "twaalf huishoudens vier jaar geleden" not in parsed.reply_text
        assert parsed.from_address and parsed.subject


def test_corpus_quality_bars() -> None:
    """The bars of issue 4: reply text >= 90%, kind >= 97%, bounce addresses >= 95%."""
    shares = evaluate(DATA, with_baseline=False).shares()
    assert shares["reply_text_exact"] >= 0.90
    assert shares["kind_accuracy"] >= 0.97
    assert shares["bounce_address_accuracy"] >= 0.95


HELDOUT = DATA / "heldout"
HELDOUT_CASES = sorted(p for p in HELDOUT.glob("*.eml") if p.with_suffix(".expected.json").exists())


def test_heldout_is_large_and_varied() -> None:
    """Cases written later, in a different style, by someone who had not read the parser (see
    docs/inbox-quality.md); they were scored before the parser was changed."""
    kinds = [json.loads(p.with_suffix(".expected.json").read_text(encoding="utf-8"))["kind"] for p in HELDOUT_CASES]
    assert len(HELDOUT_CASES) >= 25
    assert kinds.count("reaction") >= 15 and kinds.count("bounce") >= 7 and kinds.count("auto_reply") >= 7


@pytest.mark.parametrize("eml", HELDOUT_CASES, ids=[p.stem for p in HELDOUT_CASES])
def test_heldout_case(eml: Path) -> None:
    test_corpus_case(eml)


def test_heldout_quality_bars() -> None:
    shares = evaluate(HELDOUT, with_baseline=False).shares()
    assert shares["reply_text_exact"] >= 0.90
    assert shares["kind_accuracy"] >= 0.97
    assert shares["bounce_address_accuracy"] >= 0.95


def _alternative_cases() -> list[Path]:
    out = []
    for eml in CASES:
        expected = json.loads(eml.with_suffix(".expected.json").read_text(encoding="utf-8"))
        raw = eml.read_bytes()
        if expected.get("reply_text") is not None and b"text/html" in raw and b"text/plain" in raw:
            out.append(eml)
    return out


@pytest.mark.parametrize("eml", _alternative_cases(), ids=lambda p: p.stem)
def test_html_part_alone_gives_the_same_reply(eml: Path) -> None:
    """The HTML path (as for HTML-only mail) agrees with the text path on every client's HTML."""
    import email
    from email import policy

    from mailer.inbox.replytext import extract
    from mailer.inbox.text_html import html_to_marked_text

    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    html = next(part for part in msg.walk() if part.get_content_type() == "text/html").get_content()
    name = msg["From"].addresses[0].display_name
    expected = json.loads(eml.with_suffix(".expected.json").read_text(encoding="utf-8"))["reply_text"]
    assert normalise(extract(html_to_marked_text(html), from_name=name).reply) == normalise(expected)
