"""Score the inbound parser on test mail that people outside the team wrote.

    .venv/bin/python bench/external_corpus.py [--cache DIR] [--misses]

Downloads (with ``pip download``, pinned versions, into a cache directory; nothing is copied into
this repository) the source distributions of projects that ship real-world mail with stated
expectations, maps each case to what ``mailer inspect --json`` must say (kind, bounced addresses,
reply text), runs ``mailer.inbox.parse.parse_message`` on it and prints per-source scores. The last
line is JSON.

Sources and how their notion maps onto ours (see docs/inbox-quality.md):

- flufl.bounce (Mailman's bounce detectors): ~110 real bounces from many MTAs; the expected failed
  addresses come from the ``DETECTORS`` table in its ``tests/test_detectors.py`` (read with ``ast``).
  Theirs are per detector, ours per message: a file's expectation is the union over its rows,
  lower-cased. Every listed file is a bounce except ``groupwise_03`` (their comment: "Not a
  bounce") and ``qmail_08`` (an "Auto reply"). Files with no detectable address are scored on kind only.
- talon (Mailgun): ``tests/fixtures/standard_replies/*.eml`` (expected reply ``Hello`` or the
  ``*_reply_text`` file), ``tests/fixtures/html_replies/*.html`` (expected "Hi. I am fine. Thanks,
  Alex"), and the inline ``eq_(expected, quotations.extract_from_plain(msg_body))`` cases of
  ``tests/text_quotations_test.py``. Talon removes quotations only and keeps signatures and
  sign-offs, which we remove: "exact" compares with their text as is, "comparable" with their text
  after removing what we define as signature (a "-- " block, "Sent from my ..." lines, a trailing
  "Thanks,/Name" sign-off). Test functions under ``@patch`` (a talon setting changed for the
  test) are left out: their expectation is not about the mail.
- quotequail (Close): the parametrised cases of ``tests/test_quote.py``; the reply is the first
  (True, text) element of ``expected_quote_intro_line``; same exact/comparable split.
- mail-parser-reply, email_reply_parser and flanker: their sdists ship test code but not the mail
  fixtures it reads, so they contribute no cases (reported as 0).

Text fragments (talon, quotequail) are wrapped in a minimal ``text/plain`` or ``text/html`` message
with a ``Re:`` subject, as a reply would arrive.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support.parse_eval

from mailer.inbox.body import collect_parts  # noqa: E402
from mailer.inbox.parse import parse_message  # noqa: E402
from support.parse_eval import OWN_ADDRESSES, Score, normalise  # noqa: E402

PACKAGES = {
    "flufl.bounce": "flufl.bounce==6.0.0",
    "talon": "talon==1.4.4",
    "quotequail": "quotequail==0.5.4",
    "mail-parser-reply": "mail-parser-reply==1.36",
    "email_reply_parser": "email_reply_parser==0.5.12",
    "flanker": "flanker==0.9.11",
}
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "mailer-external-corpus"


@dataclass
class Case:
    source: str
    name: str
    raw: bytes
    kind: str
    reply_text: str | None = None  # their expectation, as they state it
    comparable_reply: str | None = None  # the same, mapped onto our notion (signature removed)
    bounced: list[str] | None = None
    own: tuple[str, ...] = ()  # addresses that play the part of our own (see mailman_own)


def fetch(cache: Path) -> dict[str, Path]:
    """Download and unpack each sdist once; return the unpacked root per package."""
    cache.mkdir(parents=True, exist_ok=True)
    roots: dict[str, Path] = {}
    for name, spec in PACKAGES.items():
        version = spec.split("==")[1]
        stem = re.sub(r"[-.]", "_", name)
        found = [p for p in cache.glob("*.tar.gz") if re.sub(r"[-.]", "_", p.name.lower()).startswith(f"{stem}_{version}".lower().replace(".", "_"))]
        if not found:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", "-d", str(cache), spec],
                check=True,
            )
            found = [p for p in cache.glob("*.tar.gz") if re.sub(r"[-.]", "_", p.name.lower()).startswith(f"{stem}_{version}".lower().replace(".", "_"))]
        archive = found[0]
        root = cache / archive.name[: -len(".tar.gz")]
        if not root.exists():
            with tarfile.open(archive) as tar:
                tar.extractall(cache, filter="data")
        roots[name] = root
    return roots


def wrap(text: str, *, html: bool = False, sender: str = "Outside Writer <writer@example.org>") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "reacties@verkenning.example.nl"
    msg["Subject"] = "Re: Publieke zaak 2050"
    msg["Message-ID"] = "<external.case@example.org>"
    msg.set_content(text, subtype="html" if html else "plain", charset="utf-8")
    return msg.as_bytes(policy=SMTP)


_SIG_DASH = re.compile(r"^-- ?$", re.M)
_DEVICE = re.compile(r"^\s*(sent (from|with|via) .*|verzonden (vanaf|met) .*)$", re.I | re.M)
_CLOSING = re.compile(r"\n\s*(thanks|thank you|cheers|best|regards|kind regards|best regards)[,!.]?\s*\n?\s*[A-Z][\w.-]*( [A-Z][\w.-]*)?\s*$", re.I)
_FORWARD = re.compile(r"^-+ ?forwarded message ?-+$", re.I | re.M)


def comparable(text: str) -> str:
    """Their reply text mapped onto our notion: without signature, device line and sign-off, and
    without a forwarded message (which we count as quoted, talon as the reader's)."""
    for cut in (_SIG_DASH, _FORWARD):
        match = cut.search(text)
        if match:
            text = text[: match.start()]
    text = _DEVICE.sub("", text).rstrip()
    return _CLOSING.sub("", text).rstrip()


def flufl_cases(root: Path) -> Iterator[Case]:
    tree = ast.parse((root / "tests" / "test_detectors.py").read_text(encoding="utf-8"))
    table = next(
        node.value for node in tree.body if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DETECTORS"
    )
    expected: dict[str, set[str]] = {}
    for _module, filename, addresses, _temporary in ast.literal_eval(table):
        expected.setdefault(filename, set()).update(a.decode().lower() for a in addresses)
    not_bounces = {"groupwise_03.txt": "reaction", "qmail_08.txt": "auto_reply"}
    for filename, addresses in sorted(expected.items()):
        kind = not_bounces.get(filename, "bounce")
        raw = (root / "tests" / "data" / filename).read_bytes()
        yield Case(
            "flufl.bounce", filename, raw, kind,
            bounced=sorted(addresses) if addresses and kind == "bounce" else None, own=mailman_own(raw),
        )


def mailman_own(raw: bytes) -> tuple[str, ...]:
    """Mailman's own addresses for a bounce sent to ``<list>-bounces@`` (or -admin, -owner, -request).

    In these bounces the returned message was a list post, so "Your message to <list>" names the
    list where a newsletter bounce names the subscriber. The list's addresses play the part our
    own addresses (nieuwsbrief@, reacties@, bounces@) play for us, and are passed as such.
    """
    to = str(message_from_bytes(raw).get("To", "") or "")
    match = re.search(r"([\w.+-]+?)-(?:bounces|admin|owner|request)(?:\+[^@]*)?@([\w.-]+)", to)
    if not match:
        return ()
    name, domain = match.groups()
    return tuple(f"{name}{suffix}@{domain}" for suffix in ("", "-bounces", "-admin", "-owner", "-request"))


def _literals_of(node: ast.Assign) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        for target in node.targets:
            if isinstance(target, ast.Name):
                out[target.id] = node.value.value
    return out


def _value(node: ast.AST, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    return None


def talon_cases(root: Path) -> Iterator[Case]:
    replies = root / "tests" / "fixtures" / "standard_replies"
    for eml in sorted(replies.glob("*.eml")):
        side = eml.with_name(eml.stem + "_reply_text")
        want = side.read_text(encoding="utf-8").strip() if side.exists() else "Hello"
        yield Case("talon", f"standard_replies/{eml.name}", eml.read_bytes(), "reaction", want, comparable(want))
    want = "Hi. I am fine.\n\nThanks,\nAlex"
    for html in sorted((root / "tests" / "fixtures" / "html_replies").glob("*.html")):
        yield Case("talon", f"html_replies/{html.name}", wrap(html.read_text(encoding="utf-8"), html=True), "reaction", want, comparable(want))
    tree = ast.parse((root / "tests" / "text_quotations_test.py").read_text(encoding="utf-8"))
    for func in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        if any("patch" in ast.unparse(deco) for deco in func.decorator_list):
            # Their expectation holds under a patched talon setting (test_too_many_lines sets
            # MAX_LINES_COUNT to 1), not for the mail as such: not a case for us.
            continue
        # In source order, so each eq_ sees the msg_body assigned last before it (several tests
        # reassign it between their checks).
        nodes = sorted((n for n in ast.walk(func)
                        if isinstance(n, ast.Assign) or (isinstance(n, ast.Call) and getattr(n.func, "id", "") == "eq_")),
                       key=lambda n: (n.lineno, n.col_offset))
        names: dict[str, str] = {}
        for call in nodes:
            if isinstance(call, ast.Assign):
                names.update(_literals_of(call))
                continue
            if len(call.args) < 2 or not isinstance(call.args[1], ast.Call):
                continue
            inner = call.args[1]
            if getattr(inner.func, "attr", "") != "extract_from_plain" or len(inner.args) != 1:
                continue
            body, want = _value(inner.args[0], names), _value(call.args[0], names)
            if body is None or want is None:
                continue
            yield Case("talon", f"text_quotations_test.py::{func.name}", wrap(body), "reaction", want, comparable(want))


def quotequail_cases(root: Path) -> Iterator[Case]:
    tree = ast.parse((root / "tests" / "test_quote.py").read_text(encoding="utf-8"))
    count = 0
    for func in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        for deco in func.decorator_list:
            if not (isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize"):
                continue
            try:
                params = ast.literal_eval(deco.args[1])
            except ValueError:
                continue
            for row in params:
                if len(row) != 3:
                    continue
                text, _expected, intro = row
                reply = next((chunk for flag, chunk in intro if flag), None)
                if reply is None:
                    continue
                count += 1
                yield Case("quotequail", f"test_quote.py#{count}", wrap(text), "reaction", reply.strip(), comparable(reply.strip()))


_FORWARD_MARK = re.compile(r"forwarded message|begin forwarded|doorgestuurd", re.I)
_OUTLOOK_MARK = re.compile(r"^\s*(?:-{4,}[^\n]*original[^\n]*-{4,}|_{10,}|\*?from:\*?\s.*\n(?:.*\n){0,3}\s*\*?(?:sent|date):)",
                           re.I | re.M)
REPLY_CLASSES = ("signature kept by their notion", "HTML-only", "forwarded", "interleaved", "bottom-posted",
                 "Outlook separator or header block", "quote header, English", "quote header, other forms", "no quote")


def reply_class(case: Case) -> str:
    """One class per reply case, the first of REPLY_CLASSES that applies, read from the input and
    their expectation (for the per-class table; the parser never sees it)."""
    if normalise(case.reply_text) != normalise(case.comparable_reply):
        return REPLY_CLASSES[0]
    msg = message_from_bytes(case.raw, policy=policy.default)
    types = {part.get_content_type() for part in msg.walk()}
    if "text/html" in types and "text/plain" not in types:
        return REPLY_CLASSES[1]
    text = collect_parts(msg, []).text
    if _FORWARD_MARK.search(text):
        return REPLY_CLASSES[2]
    lines = [ln for ln in text.split("\n") if ln.strip()]
    marks = "".join("q" if ln.lstrip().startswith(">") else "n" for ln in lines)
    if re.search(r"qn+q", marks):
        return REPLY_CLASSES[3]
    first_quote = marks.find("q")
    want = normalise(case.reply_text).split(" ")[0] if case.reply_text else ""
    if first_quote > 0 and want and not any(want in ln for ln in lines[:first_quote]):
        return REPLY_CLASSES[4]
    if _OUTLOOK_MARK.search(text):
        return REPLY_CLASSES[5]
    header = lines[first_quote - 1] if first_quote > 0 else ""
    if first_quote < 0:
        header = next((ln for ln in lines if re.search(r"\d.*:\s*$", ln)), "")
    if header:
        return REPLY_CLASSES[6] if re.search(r"\bwrote\b", header, re.I) else REPLY_CLASSES[7]
    return REPLY_CLASSES[8]


def score(cases: list[Case]) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    for case in cases:
        parsed = parse_message(case.raw, own_addresses=OWN_ADDRESSES + case.own)
        scores.setdefault(case.source, Score()).add(
            case.name, parsed, case.kind, case.reply_text, case.bounced, case.comparable_reply,
            reply_class(case) if case.reply_text is not None else "")
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args()
    roots = fetch(args.cache)
    cases = [
        *flufl_cases(roots["flufl.bounce"]),
        *talon_cases(roots["talon"]),
        *quotequail_cases(roots["quotequail"]),
    ]
    started = time.perf_counter()
    scores = score(cases)
    elapsed = time.perf_counter() - started
    result: dict[str, object] = {}
    for source, s in scores.items():
        shares = s.shares()
        result[source] = shares
        print(f"{source}: {json.dumps(shares)}")
        if args.misses:
            for miss in s.misses:
                print(f"  {miss}")
    for name in ("mail-parser-reply", "email_reply_parser", "flanker"):
        result[name] = {"cases": 0, "note": "sdist ships no mail fixtures"}
        print(f"{name}: 0 cases (the sdist ships test code but not the mail it reads)")
    everything = Score()
    for s in scores.values():
        everything.merge(s)
    result["all"] = everything.shares()
    result["reply_text_by_class"] = everything.class_shares()
    # "exact" counts a removed signature as a miss: this is the most it can reach while we remove them.
    kept = everything.classes.get(REPLY_CLASSES[0], [0, 0, 0])[2]
    result["reply_text_exact_ceiling"] = round(1 - kept / everything.reply_cases, 3) if everything.reply_cases else None
    print(f"reply text exact can reach at most {result['reply_text_exact_ceiling']:.1%} while signatures are "
          f"removed ({kept} of {everything.reply_cases} expectations keep one)")
    for name, share in sorted(everything.class_shares().items(), key=lambda kv: REPLY_CLASSES.index(kv[0])):
        print(f"reply text, {name}: {share['cases']} cases, exact {share['exact']:.1%}, comparable {share['comparable']:.1%}")
    result["parse_ms_per_case"] = round(1000 * elapsed / max(len(cases), 1), 3)
    print(f"all: {json.dumps(result['all'])}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
