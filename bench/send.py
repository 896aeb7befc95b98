"""Send throughput and memory, against Postfix's smtp-sink on loopback.

  .venv/bin/python bench/send.py [--subscribers 10000] [--connections 2] [--rounds 3] [--memory 10000,100000]

1. Installs Debian's postfix (for smtp-sink and smtp-source) when missing; no Postfix daemon is
   left running.
2. Sends a realistic personalised issue (a sample newsletter, padded to 30-60 KB of HTML) to
   --subscribers subscribers in a temporary SQLite file with --connections SMTP sessions, once
   without DKIM and once signing every message with a 2048-bit RSA key.
   A third run sends the same issue with its cover and figure embedded (multipart/related): the
   rate and message size of [media] delivery = "embedded" beside the plain one.
3. Runs ``smtp-source -d -s <connections> -m <subscribers> -l <message size>`` against the same sink
   in the same round: the machine's own limit. Prints each round's rates and ratios and their medians
   over --rounds rounds (targets: ours / smtp-source >= 0.5, DKIM on / DKIM off >= 0.5).
4. Measures the peak memory of a whole send to 10,000 and 100,000 subscribers: the larger of ru_maxrss
   and the sampled PSS summed over the sender's processes (one per connection); target <= 120 MB.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLE = "2026-11-samen-verder"
MIN_HTML = 40_000


def ensure_postfix_tools() -> None:
    if shutil.which("smtp-sink") or Path("/usr/sbin/smtp-sink").exists():
        return
    print("installing Debian postfix for smtp-sink/smtp-source ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "postfix"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop_postfix_daemon()


def stop_postfix_daemon() -> None:
    """The package may start the daemon; it must not be left running."""
    if subprocess.run(["postfix", "status"], capture_output=True).returncode == 0:
        subprocess.run(["postfix", "stop"], capture_output=True)


def tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([tool("smtp-sink"), "-u", "nobody", f"127.0.0.1:{port}", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("smtp-sink did not start")


def dkim_key(folder: Path) -> Path:
    """A fresh 2048-bit RSA key in PEM, as 'openssl genrsa' makes it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    return path


def without_images(source: str) -> str:
    """The issue without its cover (front matter) and figures (paragraphs that start with an image)."""
    source = re.sub(r"(?m)^cover(?:_alt|_credit)? = .*\n", "", source)
    return "\n\n".join(p for p in source.split("\n\n") if not p.lstrip().startswith("!["))


def prepare(folder: Path, port: int, subscribers: int, connections: int, dkim: Path | None = None,
            images: bool = False) -> Path:
    """A config, a padded copy of the sample issue (``images``: with its cover and figure, embedded),
    and ``subscribers`` active subscribers."""
    from mailer.config import load_config
    from mailer.db import connect

    news = folder / "newsletters"
    news.mkdir(parents=True, exist_ok=True)
    source = (ROOT / "newsletters" / f"{SAMPLE}.md").read_text(encoding="utf-8")
    if images:
        shutil.copytree(ROOT / "newsletters" / "media", news / "media")
    else:
        source = without_images(source)
    front, _, body = source.partition("\n+++\n")
    head, closing = (body.split("<!-- afsluiting -->", 1) + [""])[:2] if "<!-- afsluiting -->" in body else (body, "")
    padded = head
    extra = 0
    while True:
        text = f"{front}\n+++\n{padded}" + (f"<!-- afsluiting -->{closing}" if closing else "")
        (news / f"{SAMPLE}.md").write_text(text, encoding="utf-8")
        if _html_size(folder, news) >= MIN_HTML or extra > 20:
            break
        extra += 1
        sections = head.split("\n## ")[1:]
        padded += "\n## " + sections[extra % len(sections)].replace("{theme=", f"(vervolg {extra}) {{theme=", 1)
    cfg_text = f"""
[database]
path = "{folder / 'mailer.db'}"
[content]
newsletters_dir = "{news}"
templates_dir = "{ROOT / 'templates'}"
output_dir = "{folder / 'out'}"
[smtp]
host = "127.0.0.1"
port = {port}
connections = {connections}
[sender]
from_name = "Verkenner Publieke Zaak"
from_address = "nieuwsbrief@verkenning.example.nl"
reply_address = "reacties@verkenning.example.nl"
bounce_address = "bounces@verkenning.example.nl"
list_id = "Nieuwsbrief Verkenning <verkenning.example.nl>"
organisation = "Ministerie van Verkenning (voorbeeld)"
[media]
delivery = "embedded"
cache_dir = "{folder / 'media'}"
"""
    if dkim is not None:
        cfg_text += f"""[dkim]
enabled = true
selector = "bench"
key_path = "{dkim}"
"""
    path = folder / "config.toml"
    path.write_text(cfg_text, encoding="utf-8")
    cfg = load_config(path)
    db = connect(cfg.database_path)
    names = ["Ëlla van 't Hoff", "Jan de Vries", "Fatima el Amrani", "Pieter-Jan Ĳzerman", ""]
    with db.conn:
        db.conn.executemany(
            "INSERT INTO subscribers (email, name, status, created_at, updated_at) VALUES (?,?,'active',?,?)",
            ((f"lezer{i}@voorbeeld{i % 97}.nl", names[i % len(names)], "2026-01-01", "2026-01-01")
             for i in range(subscribers)))
    db.conn.close()
    return path


def _html_size(folder: Path, news: Path) -> int:
    from mailer.compose import compile_newsletter, find_newsletter
    from zoneinfo import ZoneInfo

    nl = find_newsletter(news, SAMPLE, ZoneInfo("Europe/Amsterdam"))
    return compile_newsletter(nl, ROOT / "templates", organisation="Ministerie").html_template_size


def message_size(config_path: Path) -> tuple[int, int]:
    """(bytes of one complete message, bytes of its HTML part before encoding)."""
    from mailer.config import load_config
    from mailer.runtime import Runtime
    from mailer.stores import newsletters
    from mailer.send.message import MessageBuilder, Recipient
    from mailer.send.sender import load_newsletter

    rt = Runtime(load_config(config_path))
    nl, compiled = load_newsletter(rt, SAMPLE)
    row = newsletters.sync(rt.db, nl)
    builder = MessageBuilder(rt.config, rt.key, row.id, nl, compiled)
    person = builder.personalisation(1, "lezer1@voorbeeld1.nl", "Jan de Vries")
    html = len(compiled.render(person).html.encode("utf-8"))
    data = builder.build(Recipient(1, 1, "lezer1@voorbeeld1.nl", "Jan de Vries", "<x@verkenning.example.nl>"))
    rt.close()
    return len(data), html


def child_send(config_path: str) -> None:
    """Runs in a child process: one whole send; prints the report as JSON."""
    from mailer.config import load_config
    from mailer.runtime import Runtime
    from mailer.send.sender import send_newsletter

    rt = Runtime(load_config(config_path))
    started = time.perf_counter()
    report = send_newsletter(rt, SAMPLE)
    elapsed = time.perf_counter() - started
    print(json.dumps({"sent": report.sent, "failed": report.failed, "seconds": elapsed}))


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` and its descendants (the sender forks one process per
    connection; shared copy-on-write pages count once, split between the processes)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, ValueError):
            pass
    return total / 1024.0


def run_child(config_path: Path) -> tuple[dict, float, float]:
    """(the child's report, the peak memory of its process tree in MB, its CPU seconds): the larger
    of wait4's ru_maxrss (one process) and the sampled sum of PSS over the whole tree."""
    import threading

    proc = subprocess.Popen([sys.executable, __file__, "--child", str(config_path)],
                            stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    peak_tree = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak_tree[0] = max(peak_tree[0], _tree_pss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else b""
    done.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"child send failed ({proc.returncode})")
    return (json.loads(out.decode().strip().splitlines()[-1]), max(usage.ru_maxrss / 1024.0, peak_tree[0]),
            usage.ru_utime + usage.ru_stime)


def smtp_source(port: int, sessions: int, messages: int, size: int) -> float:
    started = time.perf_counter()
    subprocess.run([tool("smtp-source"), "-d", "-s", str(sessions), "-m", str(messages), "-l", str(size),
                    "-f", "bench@verkenning.example.nl", "-t", "lezer@voorbeeld.nl", f"127.0.0.1:{port}"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return messages / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of smtp-source, send, DKIM send (medians)")
    ap.add_argument("--memory", default="10000,100000", help="subscriber counts for the peak-RSS runs ('' to skip)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_send(args.child)
        return
    os.environ.setdefault("MAILER_SECRET_KEY", "bench-secret")
    ensure_postfix_tools()
    port = free_port()
    sink = start_sink(port)
    figures: dict = {"subscribers": args.subscribers, "connections": args.connections}
    try:
        with tempfile.TemporaryDirectory(prefix="mailer-bench-") as tmp:
            folder = Path(tmp)
            cfg = prepare(folder / "throughput", port, args.subscribers, args.connections)
            size, html = message_size(cfg)
            figures.update(message_bytes=size, html_bytes=html)
            print(f"message: {size} bytes ({html} bytes of HTML), {args.subscribers} subscribers, "
                  f"{args.connections} connections", flush=True)
            # The machine is shared: each round runs smtp-source, our send and our DKIM send back to
            # back, and the ratios are taken within a round; the medians over the rounds are reported.
            cfg_dkim = prepare(folder / "dkim", port, args.subscribers, args.connections, dkim_key(folder))
            rounds = []
            for r in range(1, args.rounds + 1):
                theirs = smtp_source(port, args.connections, args.subscribers, size)
                report, rss, cpu = run_child(cfg)
                ours = report["sent"] / report["seconds"]
                report_dkim, _, cpu_dkim = run_child(cfg_dkim)
                signed = report_dkim["sent"] / report_dkim["seconds"]
                rounds.append(dict(smtp_source=theirs, ours=ours, signed=signed, ratio=ours / theirs,
                                   dkim_ratio=signed / ours, cpu=cpu / report["sent"] * 1e6,
                                   cpu_dkim=cpu_dkim / report_dkim["sent"] * 1e6,
                                   sent=report["sent"], sent_dkim=report_dkim["sent"]))
                print(f"round {r}: smtp-source {theirs:6.0f} msg/s; mailer {ours:6.0f} msg/s "
                      f"({rounds[-1]['cpu']:.0f} us CPU/msg); with DKIM {signed:6.0f} msg/s "
                      f"({rounds[-1]['cpu_dkim']:.0f} us CPU/msg); ratio {ours / theirs:.2f}, "
                      f"DKIM ratio {signed / ours:.2f}", flush=True)
                # Rebuild the queue so the next round sends the same issue to everyone again.
                cfg = prepare(folder / f"throughput{r}", port, args.subscribers, args.connections)
                cfg_dkim = prepare(folder / f"dkim{r}", port, args.subscribers, args.connections, dkim_key(folder))

            def med(key: str) -> float:
                return statistics.median(x[key] for x in rounds)

            figures.update(rounds=args.rounds, mailer_msgs_per_s=round(med("ours"), 1),
                           mailer_dkim_msgs_per_s=round(med("signed"), 1),
                           smtp_source_msgs_per_s=round(med("smtp_source"), 1),
                           mailer_cpu_us_per_msg=round(med("cpu"), 1),
                           mailer_dkim_cpu_us_per_msg=round(med("cpu_dkim"), 1),
                           ratio=round(med("ratio"), 3), dkim_ratio=round(med("dkim_ratio"), 3),
                           ratio_rounds=[round(x["ratio"], 3) for x in rounds],
                           dkim_ratio_rounds=[round(x["dkim_ratio"], 3) for x in rounds],
                           sent=min(x["sent"] for x in rounds), sent_dkim=min(x["sent_dkim"] for x in rounds),
                           load_average=round(os.getloadavg()[0], 2))
            print(f"ratio:        {med('ratio'):8.2f} (median over rounds; mailer / smtp-source, target >= 0.5)",
                  flush=True)
            print(f"DKIM ratio:   {med('dkim_ratio'):8.2f} (median over rounds; DKIM on / off, target >= 0.5)",
                  flush=True)
            figures["met"] = med("ratio") >= 0.5 and med("dkim_ratio") >= 0.5
            # Once, after the rounds: the issue with its cover and figure embedded, and smtp-source at
            # that message size (the sink's own limit for bigger messages).
            cfg_img = prepare(folder / "images", port, args.subscribers, args.connections, images=True)
            size_img, html_img = message_size(cfg_img)
            theirs_img = smtp_source(port, args.connections, args.subscribers, size_img)
            report_img, _, cpu_img = run_child(cfg_img)
            embedded = report_img["sent"] / report_img["seconds"]
            print(f"embedded:     {embedded:8.0f} msg/s ({report_img['sent']} sent, {size_img} bytes a message "
                  f"with cover and figure, {html_img} bytes of HTML, "
                  f"{cpu_img / report_img['sent'] * 1e6:.0f} us CPU per message; smtp-source at that size "
                  f"{theirs_img:.0f} msg/s)", flush=True)
            figures.update(embedded_msgs_per_s=round(embedded, 1), embedded_message_bytes=size_img,
                           embedded_html_bytes=html_img, sent_embedded=report_img["sent"],
                           embedded_cpu_us_per_msg=round(cpu_img / report_img["sent"] * 1e6, 1),
                           embedded_smtp_source_msgs_per_s=round(theirs_img, 1),
                           embedded_ratio=round(embedded / theirs_img, 3))
            peaks = {}
            for n in [int(x) for x in args.memory.split(",") if x.strip()]:
                cfg_n = prepare(folder / f"mem{n}", port, n, args.connections)
                rep, peak, _ = run_child(cfg_n)
                peaks[n] = peak
                print(f"peak RSS for {n:>7} subscribers: {peak:6.1f} MB ({rep['sent']} sent, "
                      f"{rep['sent'] / rep['seconds']:.0f} msg/s)", flush=True)
                shutil.rmtree(folder / f"mem{n}", ignore_errors=True)
            figures["peak_rss_mb"] = {str(k): round(v, 1) for k, v in peaks.items()}
            if peaks:
                figures["peak_rss_mb_largest"] = round(peaks[max(peaks)], 1)
            if len(peaks) >= 2:
                small, large = min(peaks), max(peaks)
                figures["peak_growth"] = round(peaks[large] / peaks[small], 3)
                print(f"peak({large}) / peak({small}) = {peaks[large] / peaks[small]:.3f} (target <= 1.1; "
                      f"and <= 120 MB)")
    finally:
        sink.terminate()
        sink.wait()
        stop_postfix_daemon()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
