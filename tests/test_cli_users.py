"""mailer users add / list / password."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import load_config
from mailer.runtime import Runtime
from mailer.web import auth
from conftest import write_config


@pytest.fixture
def cfg_path(tmp_path):
    return str(write_config(tmp_path))


def run(cfg_path, *args, input=None):
    return CliRunner().invoke(main, ["--config", cfg_path, "users", *args], input=input)


def test_add_with_password_from_stdin_then_log_in(cfg_path):
    result = run(cfg_path, "add", "anna", "--password-stdin", input="een-lang-wachtwoord\n")
    assert result.exit_code == 0, result.output
    rt = Runtime(load_config(cfg_path))
    row = next(rt.db.query("SELECT password_hash FROM users WHERE name = 'anna'"))
    assert row["password_hash"].startswith("$argon2id$") and "een-lang" not in row["password_hash"]
    assert auth.authenticate(rt.db, "anna", "een-lang-wachtwoord").name == "anna"
    rt.close()
    listed = run(cfg_path, "list")
    assert listed.exit_code == 0 and listed.output.startswith("anna\t")


def test_add_prompts_twice_for_the_password(cfg_path):
    result = run(cfg_path, "add", "bram", input="geheim-genoeg\ngeheim-genoeg\n")
    assert result.exit_code == 0, result.output
    assert "geheim-genoeg" not in result.output
    # Two different passwords: said in Dutch, and asked again.
    again = run(cfg_path, "add", "cas", input="geheim-genoeg\nanders-genoeg\ngeheim-genoeg\ngeheim-genoeg\n")
    assert again.exit_code == 0, again.output
    assert "De twee wachtwoorden verschillen: typ ze opnieuw." in again.output
    assert again.output.count("Wachtwoord:") == 2 and "Herhaal ter bevestiging" in again.output


def test_version_and_ctrl_c_speak_the_operators_language(cfg_path):
    assert CliRunner().invoke(main, ["--version"]).output.strip().startswith("mailer, versie ")
    english = CliRunner().invoke(main, ["--version"], env={"MAILER_CONTENT__LANGUAGE": "en"})
    assert english.output.strip().startswith("mailer, version ")
    stopped = run(cfg_path, "add", "dirk")   # no input: the prompt meets the end of input, as with Ctrl-D
    assert stopped.exit_code == 1 and stopped.output.strip().endswith("Afgebroken.")


def test_bad_input_gives_one_line_errors(cfg_path):
    assert run(cfg_path, "add", "anna", "--password-stdin", input="kort\n").output.startswith("Fout: het wachtwoord is te kort")
    run(cfg_path, "add", "anna", "--password-stdin", input="een-lang-wachtwoord\n")
    dup = run(cfg_path, "add", "anna", "--password-stdin", input="een-lang-wachtwoord\n")
    assert dup.exit_code == 1 and "bestaat al" in dup.output and "Traceback" not in dup.output
    assert run(cfg_path, "add", "twee woorden", "--password-stdin", input="een-lang-wachtwoord\n").exit_code == 1


def test_password_change_ends_every_session(cfg_path):
    run(cfg_path, "add", "anna", "--password-stdin", input="een-lang-wachtwoord\n")
    rt = Runtime(load_config(cfg_path))
    user = auth.authenticate(rt.db, "anna", "een-lang-wachtwoord")
    tokens = [auth.start_session(rt.db, user) for _ in range(2)]
    assert "open sessies: 2" in run(cfg_path, "list").output
    result = run(cfg_path, "password", "anna", "--password-stdin", input="nieuw-wachtwoord\n")
    assert result.exit_code == 0 and "sessies zijn beëindigd" in result.output
    assert [auth.session_user(rt.db, t) for t in tokens] == [None, None]
    assert auth.authenticate(rt.db, "anna", "nieuw-wachtwoord").name == "anna"
    with pytest.raises(auth.LoginFailed):
        auth.authenticate(rt.db, "anna", "een-lang-wachtwoord")
    assert "geen gebruiker 'niemand'" in run(cfg_path, "password", "niemand", "--password-stdin",
                                      input="nieuw-wachtwoord\n").output
    rt.close()


def test_no_users_yet(cfg_path):
    assert "mailer users add" in run(cfg_path, "list").output
