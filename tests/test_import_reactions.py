"""``mailer reactions import``: .eml, .mbox and folders through the same pipeline, never twice."""

from __future__ import annotations

import mailbox

import pytest

from conftest import DATA, write_config
from mailer.config import load_config
from mailer.errors import InvalidInput, NotFound
from support import samples
from mailer.inbox.importer import import_path
from mailer.runtime import Runtime
from mailer.stores import reactions as reaction_store


@pytest.fixture
def rt(tmp_path):
    runtime = Runtime(load_config(write_config(tmp_path)))
    yield runtime
    runtime.close()


def _replies(n: int, start: int = 0) -> list[bytes]:
    return [samples.reply(from_address=f"lezer{i}@x.example", subject=f"Reactie {i}", body=f"Mijn gedachte nummer {i}.")
            for i in range(start, start + n)]


def test_eml_file_twice_files_once(rt, tmp_path):
    issues, readers = samples.seed_history(rt.db, rt.config.newsletters_dir, readers=1)
    eml = tmp_path / "antwoord.eml"
    eml.write_bytes(samples.reply(from_address=readers[0].email, subject="Re: " + issues[0].subject, body="Goed stuk."))
    first = import_path(rt, eml)
    assert (first.new, first.duplicates) == (1, 0)
    second = import_path(rt, eml)
    assert (second.new, second.duplicates) == (0, 1)
    assert second.summary() == "0 new, 1 already filed"
    r = reaction_store.list_rows(rt.db)[0]
    assert (r.newsletter, r.attribution) == (issues[0].slug, "subject")
    source = rt.db.execute("SELECT source FROM raw_messages").fetchone()[0]
    assert source == f"import:{eml}"


def test_mbox_and_folder(rt, tmp_path):
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    box = mailbox.mbox(str(folder / "reacties.mbox"))
    for raw in _replies(3):
        box.add(raw)
    box.flush()
    box.close()
    for i, raw in enumerate(_replies(2, start=10)):
        (folder / "sub" / f"r{i}.eml").write_bytes(raw)
    (folder / "notes.txt").write_text("not a message")
    report = import_path(rt, folder)
    assert (report.files, report.messages, report.new) == (3, 5, 5)
    assert report.skipped == [str(folder / "notes.txt")]
    again = import_path(rt, folder)
    assert (again.new, again.duplicates) == (0, 5)
    assert reaction_store.counts(rt.db) == {"raw_messages": 5, "reactions": 5}


def test_missing_path_and_empty_folder_are_clear_errors(rt, tmp_path):
    with pytest.raises(NotFound, match="does not exist"):
        import_path(rt, tmp_path / "nope.eml")
    (tmp_path / "leeg").mkdir()
    with pytest.raises(InvalidInput, match=r"no \.eml or \.mbox files"):
        import_path(rt, tmp_path / "leeg")


def test_the_report_names_the_kinds_stored_and_errors_apart_from_them(rt, tmp_path):
    folder = tmp_path / "mix"
    folder.mkdir()
    (folder / "a.eml").write_bytes(samples.reply(from_address="a@x.example", subject="Hoi", body="Een reactie."))
    odd = samples.reply(from_address="b@x.example", subject="Hoi", body="Nog een reactie.")
    (folder / "b.eml").write_bytes(odd.replace(b'charset="utf-8"', b'charset="x-onbekend"'))
    (folder / "c.eml").write_bytes(DATA.joinpath("bounce_postfix_dsn_user_unknown.eml").read_bytes())
    report = import_path(rt, folder)
    kinds = {r.kind for r in reaction_store.list_rows(rt.db)}
    assert kinds == {"reaction", "bounce"} and report.by_kind == {"reaction": 2, "bounce": 1}
    assert report.errors == 1  # the unknown charset, noted on a message stored as a reaction
    assert report.summary() == "3 new, 0 already filed (bounce 1, reaction 2); 1 with errors noted on them"
    assert "other" not in report.summary()
