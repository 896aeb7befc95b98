"""Deliverability check: Debian's SpamAssassin (local mode, no network) on each sample issue.

    .venv/bin/python bench/deliverability.py

Installs Debian's ``spamassassin`` when it is missing (apt-get; stops any gpg-agent that the
install started), renders every newsletter in newsletters/ as the full MIME message a reader
gets (multipart/alternative, text then HTML, with the headers a bulk sender adds), runs
``spamassassin -L -t`` on it with HOME in a temporary folder, and prints the score and the
rules that fired. As a reference measured in the same run it also scores the first issue with
a naive layout that hides the preheader in ``mj-preview`` (the usual MJML way).
It also scores an issue with a cover and two figures (the first sample plus a second figure) in
both delivery modes: embedded (the HTML in multipart/related beside its images, cid: sources) and
hosted (https://<domain>/media/<hash>.<ext>).
Target: every message scores <= 0.0 with no HTML_* rule and no *IMAGE* rule firing (HTML_MESSAGE,
worth 0.001 and fired by every message with an HTML part, is reported apart as informational).
The last line is one JSON object: {"scores": {...}, "html_rules": [...], "image_rules": [...], ...}.

The real sender builds its messages in mailer/send/; this bench builds the same shape with
the standard library's email package (policy SMTP) so it depends on compose alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer import links, tokens  # noqa: E402
from mailer.compose import compile_newsletter, list_newsletters, personalisation  # noqa: E402
from mailer.compose.render import CompiledNewsletter  # noqa: E402
from mailer.compose.images import Figures  # noqa: E402
from mailer.config import Config, load_config  # noqa: E402
from mailer.media import issue_figures  # noqa: E402

KEY = b"deliverability-bench-key"
NEWSLETTER_ID = 1
SUBSCRIBER_ID = 1234
READER = ("Anne de Vries", "anne.devries@example.org")
RULE_LINE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z][A-Z0-9_]+)\s+(.*)$")


def gpg_agents() -> set[int]:
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if cmd.endswith(b"gpg-agent"):
                found.add(int(proc.name))
    return found


def ensure_spamassassin() -> str:
    exe = shutil.which("spamassassin")
    if exe:
        return exe
    print("Installing Debian's spamassassin (apt-get) ...", flush=True)
    before = gpg_agents()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-q", "spamassassin"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    for pid in sorted(gpg_agents() - before):  # the package's key set-up may leave one running
        try:
            os.kill(pid, 15)
            print(f"Stopped gpg-agent {pid} started by the install")
        except ProcessLookupError:
            pass
    exe = shutil.which("spamassassin")
    if not exe:
        raise SystemExit("spamassassin is still missing after apt-get install")
    return exe


def bench_config() -> Config:
    cfg = load_config(ROOT / "config.toml", environ={})
    base = cfg.web.base_url
    if re.match(r"https?://(127\.|localhost|\[::1\])", base):
        # A production sender links to its public site; loopback links in mail would be judged as such.
        cfg = cfg.replace(web={"base_url": f"https://{cfg.sender.domain}"})
    return cfg


def mime_message(cfg: Config, compiled: CompiledNewsletter) -> bytes:
    """The message a reader gets; embedded images as parts of a multipart/related beside the HTML."""
    nl = compiled.newsletter
    p = personalisation(cfg, KEY, nl, NEWSLETTER_ID, SUBSCRIBER_ID, READER[1], READER[0])
    parts = compiled.render(p)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr((cfg.sender.from_name, cfg.sender.from_address))
    msg["To"] = formataddr(READER)
    msg["Subject"] = nl.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=f"n{NEWSLETTER_ID}s{SUBSCRIBER_ID}", domain=cfg.sender.domain)
    msg["Reply-To"] = p.reply_address
    msg["List-Id"] = cfg.sender.list_id
    msg["List-Unsubscribe"] = f"<{p.unsubscribe_url}>, <{links.unsubscribe_mailto(cfg, KEY, SUBSCRIBER_ID)}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(parts.text, subtype="plain", charset="utf-8")
    msg.add_alternative(parts.html, subtype="html", charset="utf-8")
    html_part = msg.get_body(("html",))
    for part in compiled.related:
        maintype, subtype = part.content_type.split("/")
        html_part.add_related(part.data, maintype, subtype, cid=f"<{part.cid}>", filename=part.filename,
                              disposition="inline")
    assert msg["MIME-Version"] == "1.0"
    # Envelope sender as the SMTP server would record it (VERP on the bounce mailbox).
    verp = tokens.bounce_address(KEY, cfg.sender.bounce_address, 1)
    return f"Return-Path: <{verp}>\r\n".encode() + msg.as_bytes()


def spamassassin(exe: str, message: bytes, home: Path) -> tuple[float, list[tuple[float, str, str]]]:
    """-> (exact score, [(points, rule, description)]); points read unrounded from _TESTSSCORES_."""
    done = subprocess.run(
        [exe, "-L", "-t", "--cf=use_bayes 0", "--cf=bayes_auto_learn 0",
         "--cf=add_header all Tests _TESTSSCORES(,)_"],
        input=message, capture_output=True, env=dict(os.environ, HOME=str(home)), timeout=120,
    )
    out = done.stdout.decode("utf-8", "replace")
    tests = re.search(r"^X-Spam-Tests: (.*(?:\n[ \t].*)*)", out, re.M)
    if not re.search(r"^X-Spam-Status: ", out, re.M) or tests is None:
        raise SystemExit(f"no X-Spam-Status in spamassassin output:\n{done.stderr.decode()[-2000:]}")
    descriptions: dict[str, str] = {}
    for line in out.split("Content analysis details:", 1)[-1].splitlines():
        m = RULE_LINE.match(line)
        if m:
            descriptions.setdefault(m.group(2), m.group(3).strip())
    rules: list[tuple[float, str, str]] = []
    for item in re.split(r"[,\s]+", tests.group(1).strip()):
        if "=" in item:
            name, _, pts = item.partition("=")
            rules.append((float(pts), name, descriptions.get(name, "")))
    return round(sum(pts for pts, _, _ in rules), 3), rules


def naive_templates(tmp: Path) -> Path:
    """The same layout with the preheader hidden in mj-preview: the reference a naive layout scores."""
    shutil.copytree(ROOT / "templates" / "email", tmp / "email")
    layout = tmp / "email" / "newsletter.mjml"
    text = layout.read_text(encoding="utf-8")
    text = text.replace("<mj-head>", "<mj-head>\n    <mj-preview>{{ preheader }}</mj-preview>", 1)
    layout.write_text(text, encoding="utf-8")
    return tmp


def image_issue(home: Path) -> Path:
    """A copy of the first sample issue (cover and one figure) with a second figure: a newsletters folder."""
    folder = home / "image-issue"
    shutil.copytree(ROOT / "newsletters" / "media", folder / "media")
    source = (ROOT / "newsletters" / "2026-11-samen-verder.md").read_text(encoding="utf-8")
    second = ("\n![Getekende sporthal met zonnepanelen op het dak en een windmolen ernaast, in de "
              "ochtendzon.](media/polder-cover.jpg)\nHet dak van de sporthal, waar het begon.\n")
    marker = "## Makers in het stadhuis"
    (folder / "2026-11-samen-verder.md").write_text(source.replace(marker, second.lstrip() + "\n" + marker, 1),
                                                    encoding="utf-8")
    return folder


def compiled_with(cfg: Config, nl, mode: str) -> CompiledNewsletter:  # type: ignore[no-untyped-def]
    figures: Figures = issue_figures(cfg, nl, mode)[0] if nl.images else Figures()
    return compile_newsletter(nl, cfg.templates_dir, organisation=cfg.sender.organisation,
                              language=nl.language, list_address=cfg.sender.from_address, figures=figures)


def main() -> None:
    exe = ensure_spamassassin()
    cfg = bench_config()
    issues = list_newsletters(cfg.newsletters_dir, cfg.schedule.tz)
    scores: dict[str, float] = {}
    fired: dict[str, list[str]] = {}
    html_rules: set[str] = set()
    informational: set[str] = set()
    image_rules: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="sa-home-") as home_s:
        home = Path(home_s)
        cfg = cfg.replace(media={"cache_dir": str(home / "media")})
        with_images = list_newsletters(image_issue(home), cfg.schedule.tz)[0]
        cases = [(nl.slug, nl, cfg.media.delivery) for nl in issues]
        cases += [(f"cover-and-two-figures-{mode}", with_images, mode) for mode in ("embedded", "hosted")]
        for name, nl, mode in cases:
            message = mime_message(cfg, compiled_with(cfg, nl, mode))
            score, rules = spamassassin(exe, message, home)
            scores[name] = score
            fired[name] = [rule for _, rule, _ in rules]
            image_rules |= {rule for _, rule, _ in rules if "IMAGE" in rule}
            # HTML_MESSAGE (0.001, "HTML included in message") fires on every HTML mail and is
            # informational; any other HTML_* rule, or any HTML_* rule with points, counts.
            html_rules |= {name for pts, name, _ in rules
                           if name.startswith("HTML_") and (abs(pts) > 0.001 or name != "HTML_MESSAGE")}
            informational |= {name for pts, name, _ in rules if name == "HTML_MESSAGE" and abs(pts) <= 0.001}
            print(f"{name}: score {score:+.3f} ({len(message) // 1024} KB message, {len(nl.images)} images, {mode})")
            for pts, name, desc in rules:
                print(f"    {pts:+.3f} {name:<24} {desc}")
        # Reference in the same run: the first issue with a hidden mj-preview preheader.
        nl = issues[0]
        naive = compile_newsletter(nl, naive_templates(home / "naive"), organisation=cfg.sender.organisation,
                                   language=nl.language, list_address=cfg.sender.from_address)
        ref_score, ref_rules = spamassassin(exe, mime_message(cfg, naive), home)
        print(f"reference (hidden mj-preview preheader) {nl.slug}: score {ref_score:+.3f}")
        for pts, name, desc in ref_rules:
            print(f"    {pts:+.3f} {name:<24} {desc}")
    passed = all(s <= 0.0 for s in scores.values()) and not html_rules and not image_rules
    print("target (<= 0.0, no HTML_* or *IMAGE* rule):", "met" if passed else "NOT met")
    print(json.dumps({
        "scores": scores,
        "html_rules": sorted(html_rules),
        "image_rules": sorted(image_rules),
        "informational_html_rules": sorted(informational),
        "rules": fired,
        "reference_hidden_preheader_score": ref_score,
        "reference_rules": [name for _, name, _ in ref_rules],
        "target_met": passed,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
