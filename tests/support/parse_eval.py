"""Score the parser on a corpus of ``.eml`` files with ``<name>.expected.json`` sidecars.

    .venv/bin/python tests/support/parse_eval.py tests/data

A sidecar holds ``kind`` and optionally ``reply_text`` and ``bounced_addresses`` (plus other
fields the tests check). Prints per-file misses and three shares: exact reply text (after
whitespace normalisation), kind, and bounce addresses; and, for comparison, how
mail-parser-reply alone does on the reply texts of the same files; then the parse speed next to a
bare stdlib parse of the same files. The last line is JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: the repository's mailer package
    sys.path.insert(0, str(ROOT))

from mailer.inbox.parse import parse_message  # noqa: E402
from mailer.inbox.body import collect_parts  # noqa: E402

OWN_ADDRESSES = ("nieuwsbrief@verkenning.example.nl", "reacties@verkenning.example.nl", "bounces@verkenning.example.nl")


def normalise(text: str | None) -> str:
    return " ".join((text or "").split())


@dataclass
class Score:
    files: int = 0
    kind_ok: int = 0
    reply_cases: int = 0
    reply_ok: int = 0
    baseline_reply_ok: int = 0
    bounce_cases: int = 0
    bounce_ok: int = 0
    misses: list[str] = field(default_factory=list)

    def shares(self) -> dict[str, float | int]:
        def share(a: int, b: int) -> float:
            return round(a / b, 3) if b else 1.0

        return {
            "files": self.files,
            "kind_accuracy": share(self.kind_ok, self.files),
            "reply_text_exact": share(self.reply_ok, self.reply_cases),
            "reply_cases": self.reply_cases,
            "bounce_address_accuracy": share(self.bounce_ok, self.bounce_cases),
            "bounce_cases": self.bounce_cases,
            "mail_parser_reply_exact": share(self.baseline_reply_ok, self.reply_cases),
        }


def baseline_reply(raw: bytes) -> str:
    """mail-parser-reply alone on the message's text (HTML-only mail converted by inscriptis)."""
    from email import policy
    from email.parser import BytesParser

    from mailparser_reply import EmailReplyParser

    msg = BytesParser(policy=policy.default).parsebytes(raw)
    text = collect_parts(msg, []).full_text
    # ``.body`` is the first reply without its signature and disclaimers (``parse_reply`` keeps them).
    replies = EmailReplyParser(languages=["nl", "en", "de", "fr"]).read(text).replies
    return replies[0].body if replies else ""


def evaluate(directory: Path, with_baseline: bool = True) -> Score:
    score = Score()
    for eml in sorted(directory.glob("*.eml")):
        sidecar = eml.with_suffix(".expected.json")
        if not sidecar.exists():
            continue
        expected = json.loads(sidecar.read_text(encoding="utf-8"))
        raw = eml.read_bytes()
        parsed = parse_message(raw, own_addresses=OWN_ADDRESSES)
        score.files += 1
        if parsed.kind == expected["kind"]:
            score.kind_ok += 1
        else:
            score.misses.append(f"{eml.name}: kind {parsed.kind!r}, expected {expected['kind']!r}")
        if expected.get("reply_text") is not None:
            score.reply_cases += 1
            if normalise(parsed.reply_text) == normalise(expected["reply_text"]):
                score.reply_ok += 1
            else:
                score.misses.append(f"{eml.name}: reply text differs:\n  got:  {normalise(parsed.reply_text)[:300]}"
                                    f"\n  want: {normalise(expected['reply_text'])[:300]}")
            if with_baseline and normalise(baseline_reply(raw)) == normalise(expected["reply_text"]):
                score.baseline_reply_ok += 1
        if expected.get("bounced_addresses") is not None:
            score.bounce_cases += 1
            if sorted(parsed.bounced_addresses) == sorted(expected["bounced_addresses"]):
                score.bounce_ok += 1
            else:
                score.misses.append(f"{eml.name}: bounced {list(parsed.bounced_addresses)}, "
                                    f"expected {expected['bounced_addresses']}")
    return score


def speed(directory: Path, rounds: int = 5) -> dict[str, float]:
    """Mean milliseconds per message for parse_message and, as the reference in the same run, for
    a bare stdlib ``BytesParser`` parse of the same files (best of ``rounds``)."""
    import time
    from email import policy
    from email.parser import BytesParser

    raws = [p.read_bytes() for p in sorted(directory.glob("*.eml"))]
    if not raws:
        return {}

    def best(fn: Callable[[bytes], object]) -> float:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            for raw in raws:
                fn(raw)
            times.append((time.perf_counter() - start) / len(raws))
        return min(times) * 1000

    bare = best(lambda raw: BytesParser(policy=policy.compat32).parsebytes(raw))
    full = best(lambda raw: parse_message(raw, own_addresses=OWN_ADDRESSES))
    return {"parse_ms_per_message": round(full, 3), "bare_stdlib_parse_ms": round(bare, 3),
            "parse_vs_bare_ratio": round(full / bare, 2) if bare else 0.0}


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else Path("tests/data")
    score = evaluate(directory)
    for miss in score.misses:
        print(miss)
    shares: dict[str, float | int] = dict(score.shares())
    timing = speed(directory)
    shares.update(timing)
    print(f"files {shares['files']}: kind {shares['kind_accuracy']:.1%}, reply text exact "
          f"{shares['reply_text_exact']:.1%} of {shares['reply_cases']}, bounce addresses "
          f"{shares['bounce_address_accuracy']:.1%} of {shares['bounce_cases']}; mail-parser-reply alone: "
          f"reply text exact {shares['mail_parser_reply_exact']:.1%}")
    if timing:
        print(f"speed: parse_message {timing['parse_ms_per_message']:.3f} ms/message, bare stdlib parse "
              f"{timing['bare_stdlib_parse_ms']:.3f} ms/message (x{timing['parse_vs_bare_ratio']})")
    print(json.dumps(shares))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
