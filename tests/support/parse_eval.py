"""Score the parser on a corpus of ``.eml`` files with ``<name>.expected.json`` sidecars.

    .venv/bin/python tests/support/parse_eval.py tests/data

A sidecar holds ``kind`` and optionally ``reply_text`` and ``bounced_addresses`` (plus other
fields the tests check). Prints per-file misses and three shares: exact reply text (after
whitespace normalisation), kind, and bounce addresses; and, for comparison and when it is
installed, how mail-parser-reply alone does on the reply texts of the same files; then the parse speed next to a
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

from mailer.inbox.parse import ParsedMessage, parse_message  # noqa: E402
from mailer.inbox.body import collect_parts  # noqa: E402

OWN_ADDRESSES = ("nieuwsbrief@verkenning.example.nl", "reacties@verkenning.example.nl", "bounces@verkenning.example.nl")


def normalise(text: str | None) -> str:
    return " ".join((text or "").split())


@dataclass
class Score:
    """Tallies of parse results against expectations, shared by this script (our corpora) and
    bench/external_corpus.py (other projects' test mail, one Score per source)."""

    cases: int = 0
    kind_ok: int = 0
    reply_cases: int = 0
    reply_ok: int = 0  # exactly the expected text (whitespace normalised)
    reply_comparable: int = 0  # exact, or equal to the expectation mapped onto our notion
    baseline_cases: int = 0
    baseline_reply_ok: int = 0
    bounce_cases: int = 0
    bounce_ok: int = 0
    classes: dict[str, list[int]] = field(default_factory=dict)  # reply class -> [exact, comparable, cases]
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, parsed: ParsedMessage, kind: str, reply_text: str | None = None,
            bounced: list[str] | None = None, comparable_reply: str | None = None, reply_class: str = "") -> None:
        """Score one case: ``kind`` always, ``reply_text`` and ``bounced`` when expected.
        ``comparable_reply`` is the expectation mapped onto our notion (defaults to ``reply_text``)."""
        self.cases += 1
        if parsed.kind == kind:
            self.kind_ok += 1
        else:
            self.misses.append(f"{name}: kind {parsed.kind!r}, expected {kind!r}")
        if reply_text is not None:
            got, want = normalise(parsed.reply_text), normalise(reply_text)
            mapped = want if comparable_reply is None else normalise(comparable_reply)
            exact, close = got == want, got in (want, mapped)
            self.reply_cases += 1
            self.reply_ok += exact
            self.reply_comparable += close
            tally = self.classes.setdefault(reply_class or "all", [0, 0, 0])
            tally[0] += exact
            tally[1] += close
            tally[2] += 1
            if not close:
                self.misses.append(f"{name}: reply text differs:\n  got:  {got[:300]}\n  want: {mapped[:300]}")
        if bounced is not None:
            self.bounce_cases += 1
            if sorted(parsed.bounced_addresses) == sorted(bounced):
                self.bounce_ok += 1
            else:
                self.misses.append(f"{name}: bounced {sorted(parsed.bounced_addresses)}, expected {sorted(bounced)}")

    def merge(self, other: "Score") -> None:
        for key in ("cases", "kind_ok", "reply_cases", "reply_ok", "reply_comparable", "baseline_cases",
                    "baseline_reply_ok", "bounce_cases", "bounce_ok"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        for name, (exact, close, total) in other.classes.items():
            tally = self.classes.setdefault(name, [0, 0, 0])
            tally[0], tally[1], tally[2] = tally[0] + exact, tally[1] + close, tally[2] + total
        self.misses += other.misses

    def shares(self) -> dict[str, float | int | None]:
        def share(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        out: dict[str, float | int | None] = {
            "cases": self.cases,
            "kind_accuracy": share(self.kind_ok, self.cases),
            "reply_cases": self.reply_cases,
            "reply_text_exact": share(self.reply_ok, self.reply_cases),
            "reply_text_comparable": share(self.reply_comparable, self.reply_cases),
            "bounce_cases": self.bounce_cases,
            "bounce_address_accuracy": share(self.bounce_ok, self.bounce_cases),
        }
        if self.baseline_cases:
            out["mail_parser_reply_exact"] = share(self.baseline_reply_ok, self.baseline_cases)
        return out

    def class_shares(self) -> dict[str, dict[str, float | int | None]]:
        """Reply text per class: cases, exact and comparable shares."""
        return {name: {"cases": total, "exact": round(exact / total, 3), "comparable": round(close / total, 3)}
                for name, (exact, close, total) in sorted(self.classes.items())}


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
        score.add(eml.name, parsed, expected["kind"], expected.get("reply_text"), expected.get("bounced_addresses"))
        if with_baseline and expected.get("reply_text") is not None:
            score.baseline_cases += 1
            score.baseline_reply_ok += normalise(baseline_reply(raw)) == normalise(expected["reply_text"])
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


def _percent(value: float | int | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else Path("tests/data")
    try:
        import mailparser_reply  # noqa: F401 - the baseline is optional (pip install mail-parser-reply)
        with_baseline = True
    except ImportError:
        with_baseline = False
    score = evaluate(directory, with_baseline=with_baseline)
    for miss in score.misses:
        print(miss)
    shares: dict[str, float | int | None] = dict(score.shares())
    timing = speed(directory)
    shares.update(timing)
    baseline = (f"; mail-parser-reply alone: reply text exact {_percent(shares['mail_parser_reply_exact'])}"
                if with_baseline else "; mail-parser-reply not installed, no baseline")
    print(f"files {shares['cases']}: kind {_percent(shares['kind_accuracy'])}, reply text exact "
          f"{_percent(shares['reply_text_exact'])} of {shares['reply_cases']}, bounce addresses "
          f"{_percent(shares['bounce_address_accuracy'])} of {shares['bounce_cases']}{baseline}")
    if timing:
        print(f"speed: parse_message {timing['parse_ms_per_message']:.3f} ms/message, bare stdlib parse "
              f"{timing['bare_stdlib_parse_ms']:.3f} ms/message (x{timing['parse_vs_bare_ratio']})")
    print(json.dumps(shares))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
