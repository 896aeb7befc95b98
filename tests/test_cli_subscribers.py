"""`mailer subscribers ...` through click's runner on a real SQLite file (and real SMTP for sending)."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import write_config
from mailer.cli import main
from mailer.config import load_config
from mailer.localservers import LocalSmtpServer
from mailer.runtime import Runtime
from subscribers import consent, store
from subscribers.privacy import PLACEHOLDER

DATA = Path(__file__).parent / "data"
CSV = DATA / "csv"


@pytest.fixture
def cfg_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


def run(cfg_path: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["--config", str(cfg_path), "subscribers", *args], input=input)


def db_of(cfg_path: Path):
    return Runtime(load_config(cfg_path)).db


def test_every_command_has_an_example_in_its_help(cfg_path: Path) -> None:
    for cmd in ("import", "export", "list", "add", "remove", "forget", "show"):
        r = run(cfg_path, cmd, "--help")
        assert r.exit_code == 0 and "Voorbeeld:" in r.output and f"mailer subscribers {cmd}" in r.output


def test_import_reports_rejected_rows_and_dry_run(cfg_path: Path) -> None:
    r = run(cfg_path, "import", str(CSV / "mailchimp.csv"), "--dry-run")
    assert r.exit_code == 0, r.output
    assert "regel 4: anouk.devries@example.nl: dubbel met regel 2" in r.output
    assert "regel 5: geen-adres-hier: geen geldig e-mailadres" in r.output
    assert "zou 3 importeren" in r.output and "proefdraai" in r.output
    assert store.count(db_of(cfg_path)) == 0
    r = run(cfg_path, "import", str(CSV / "mailchimp.csv"), "--source", "Mailchimp 2026", "--json")
    report = json.loads(r.output)
    assert report["imported"] == 3 and len(report["rejected"]) == 3
    sub = store.find_by_email(db_of(cfg_path), "chloe.dubois@example.org")
    assert consent.history(db_of(cfg_path), sub.id)[0].source == "Mailchimp 2026"


def test_import_errors_are_one_line(cfg_path: Path, tmp_path: Path) -> None:
    r = run(cfg_path, "import", str(tmp_path / "missing.csv"))
    assert r.exit_code == 1 and r.output.startswith("Fout: ") and "Traceback" not in r.output
    r = run(cfg_path, "import", str(CSV / "no_email_column.csv"))
    assert r.exit_code == 1 and "geen e-mailkolom" in r.output


def test_add_list_remove_and_duplicates(cfg_path: Path) -> None:
    assert run(cfg_path, "add", "Eva.van.t.Hof@Provincie.Example.NL", "--name", "Eva van 't Hof",
               "--theme", "groeipijn").exit_code == 0
    r = run(cfg_path, "add", "eva.van.t.hof@provincie.example.nl")
    assert r.exit_code == 1 and "is al abonnee" in r.output
    r = run(cfg_path, "add", "niet-geldig")
    assert r.exit_code == 1 and "geen geldig e-mailadres" in r.output
    run(cfg_path, "add", "sem@example.nl", "--name", "Sem Bakker")
    r = run(cfg_path, "list", "--theme", "groeipijn")
    assert "eva.van.t.hof@provincie.example.nl" in r.output and "sem@example.nl" not in r.output
    assert "1 van 1 abonnees" in r.output
    r = run(cfg_path, "remove", "sem@example.nl")
    assert r.exit_code == 0 and "afgemeld en geblokkeerd" in r.output
    r = run(cfg_path, "list", "--status", "unsubscribed")
    assert "sem@example.nl" in r.output and "eva" not in r.output
    assert run(cfg_path, "remove", "nobody@example.nl").exit_code == 1
    db = db_of(cfg_path)
    sem = store.find_by_email(db, "sem@example.nl")
    assert [e.action for e in consent.history(db, sem.id)] == ["add", "unsubscribe"]
    assert store.is_suppressed(db, "sem@example.nl")


def test_export_csv_round_trips_and_json(cfg_path: Path, tmp_path: Path) -> None:
    run(cfg_path, "import", str(CSV / "laposta.csv"))
    r = run(cfg_path, "export")
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert {row["email"] for row in rows} == {"jeroen.van.dijk@example.nl", "sanne@example.org",
                                              "zoë.özdemir@example.nl"}
    out = tmp_path / "export.csv"
    run(cfg_path, "export", "--out", str(out))
    (tmp_path / "other").mkdir()
    other = write_config(tmp_path / "other")
    r = run(other, "import", str(out), "--json")
    assert json.loads(r.output)["imported"] == 3
    assert store.find_by_email(db_of(other), "sanne@example.org").name == "Sanne Jansen; Smit"
    data = json.loads(run(cfg_path, "export", "--format", "json", "--status", "active").output)
    assert len(data) == 3 and data[0]["status"] == "active" and isinstance(data[0]["themes"], list)


def test_suppressed_address_reimported_is_not_mailed(tmp_path: Path, smtp_server: LocalSmtpServer) -> None:
    sender = pytest.importorskip("mailer.send.sender")
    cfg_path = write_config(tmp_path, smtp_server.port)
    run(cfg_path, "import", str(CSV / "mailchimp.csv"))
    assert run(cfg_path, "remove", "chloe.dubois@example.org").exit_code == 0
    r = run(cfg_path, "import", str(CSV / "mailchimp.csv"), "--json")
    report = json.loads(r.output)
    assert report["suppressed"] == 1 and report["imported"] == 0
    rt = Runtime(load_config(cfg_path))
    slug = "2026-11-samen-verder"
    sender.send_newsletter(rt, slug)
    rcpts = {a for m in smtp_server.messages for a in m.rcpt_tos}
    assert rcpts == {"anouk.devries@example.nl", "bram.bakker@gemeente.example.nl"}
    rt.close()


def test_forget_and_show(tmp_path: Path) -> None:
    inbox = pytest.importorskip("mailer.inbox.importer")
    cfg_path = write_config(tmp_path)
    assert run(cfg_path, "add", "ilse@buurtmaalnoord.example.nl", "--name", "Ilse Vermeulen").exit_code == 0
    rt = Runtime(load_config(cfg_path))
    inbox.import_path(rt, DATA / "attachment_pdf.eml")
    db = rt.db
    assert db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] >= 1

    shown = json.loads(run(cfg_path, "show", "ilse@buurtmaalnoord.example.nl", "--json").output)
    assert shown["subscriber"]["name"] == "Ilse Vermeulen"
    assert [e["action"] for e in shown["consent_log"]] == ["add"]
    (reaction,) = shown["reactions"]
    assert reaction["from_address"] == "ilse@buurtmaalnoord.example.nl" and reaction["attachments"] >= 1
    assert shown["deliveries"] == []

    r = run(cfg_path, "forget", "ilse@buurtmaalnoord.example.nl", input="n\n")
    assert r.exit_code == 1 and store.find_by_email(db, "ilse@buurtmaalnoord.example.nl") is not None
    assert "[j/N]" in r.output and r.output.strip().endswith("Afgebroken.") and "Aborted" not in r.output
    r = run(cfg_path, "forget", "ilse@buurtmaalnoord.example.nl", "--yes")
    assert r.exit_code == 0, r.output
    assert "1 reacties geanonimiseerd" in r.output
    assert store.find_by_email(db, "ilse@buurtmaalnoord.example.nl") is None
    assert store.is_suppressed(db, "ilse@buurtmaalnoord.example.nl")
    (row,) = list(db.query("SELECT * FROM reactions"))
    assert row["from_address"] == row["from_name"] == "" and row["reply_text"] == PLACEHOLDER
    assert row["full_text"] == row["html_body"] == PLACEHOLDER
    assert db.execute("SELECT length(data) FROM raw_messages").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 0
    everything = "\n".join(str(v) for t in ("subscribers", "consent_log", "reactions") for r in db.query(
        f"SELECT * FROM {t}") for v in r.values())
    assert "ilse@buurtmaalnoord" not in everything and "Ilse" not in everything
    assert db.execute("SELECT action FROM consent_log ORDER BY id DESC").fetchone()[0] == "forget"
    # a forgotten address cannot be imported back silently
    src = tmp_path / "again.csv"
    src.write_text("email,name\nilse@buurtmaalnoord.example.nl,Ilse\n", encoding="utf-8")
    assert json.loads(run(cfg_path, "import", str(src), "--json").output)["suppressed"] == 1
    assert run(cfg_path, "show", "ilse@buurtmaalnoord.example.nl").exit_code == 1
    rt.close()
