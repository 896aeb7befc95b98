"""config.toml loading: defaults, overrides from the environment, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer import resources
from mailer.cli import main
from mailer.compose.source import check_templates_dir
from mailer.config import BUILT_IN, DEFAULT_CONFIG, load_config
from mailer.errors import ConfigError, TemplateError


def test_embedded_default_is_loopback_sqlite_amsterdam():
    cfg = load_config(DEFAULT_CONFIG, environ={})
    assert cfg.smtp.host == "127.0.0.1"
    assert cfg.imap.host == "127.0.0.1"
    assert cfg.database_path.name.endswith(".db")
    assert cfg.schedule.timezone == "Europe/Amsterdam"
    assert "password" not in DEFAULT_CONFIG.read_text().split("never live here")[1].split("\n", 2)[2]


def test_environment_overrides_every_key_with_types(tmp_path: Path):
    env = {"MAILER_SMTP__PORT": "2525", "MAILER_DKIM__ENABLED": "true", "MAILER_SCHEDULE__GRACE_HOURS": "1.5"}
    cfg = load_config(DEFAULT_CONFIG, environ=env)
    assert cfg.smtp.port == 2525
    assert cfg.dkim.enabled is True
    assert cfg.schedule.grace_hours == 1.5


@pytest.mark.parametrize(
    "toml, expected",
    [
        ("[smtp]\nprot = 25\n", "did you mean 'port'"),
        ("[smtpp]\nport = 25\n", "did you mean 'smtp'"),
        ("[smtp]\nport = 'abc'\n", "must be a int"),
        ("[smtp]\npassword = 'x'\n", "MAILER_SMTP_PASSWORD"),
        ("[schedule]\ntimezone = 'Mars/Olympus'\n", "not a known time zone"),
        ("[smtp\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, toml: str, expected: str):
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_environment_key_names_the_variable():
    with pytest.raises(ConfigError, match="MAILER_SMTP__PROT"):
        load_config(DEFAULT_CONFIG, environ={"MAILER_SMTP__PROT": "1"})


def test_cli_reports_config_error_without_traceback(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("[imap]\nmailbx = 'INBOX'\n")
    result = CliRunner().invoke(main, ["--config", str(path), "reactions", "list"])
    assert result.exit_code != 0
    assert "bedoelde je 'mailbox'" in result.output
    assert "Traceback" not in result.output


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path):
    path = tmp_path / "sub" / "config.toml"
    path.parent.mkdir()
    path.write_text("[database]\npath = 'x/mailer.db'\n")
    assert load_config(path, environ={}).database_path == path.parent / "x" / "mailer.db"


def test_secret_key_from_environment_else_private_key_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text("[database]\npath = 'mailer.db'\n")
    cfg = load_config(path, environ={})
    monkeypatch.setenv("MAILER_SECRET_KEY", "from-env")
    assert cfg.secret_key() == b"from-env"
    monkeypatch.delenv("MAILER_SECRET_KEY")
    key = cfg.secret_key()
    assert len(key) >= 32 and cfg.secret_key() == key
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_without_a_config_file_the_built_in_defaults_apply_in_the_working_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(environ={})
    assert cfg.source == BUILT_IN
    assert cfg.database_path == tmp_path / "data" / "mailer.db"
    assert cfg.sender.from_address == load_config(DEFAULT_CONFIG, environ={}).sender.from_address
    assert cfg.templates_dir == resources.templates_dir()
    assert (cfg.templates_dir / "email" / "newsletter.mjml").is_file()


def test_config_in_the_working_folder_then_environment_then_option_win(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text("[sender]\nfrom_name = 'Hier'\n")
    other = tmp_path / "elders" / "config.toml"
    other.parent.mkdir()
    other.write_text("[sender]\nfrom_name = 'Elders'\n")
    assert load_config(environ={}).sender.from_name == "Hier"
    assert load_config(environ={"MAILER_CONFIG": str(other)}).sender.from_name == "Elders"
    assert load_config(tmp_path / "config.toml", environ={"MAILER_CONFIG": str(other)}).sender.from_name == "Hier"
    assert load_config(other, environ={}).database_path == other.parent / "data" / "mailer.db"


def test_own_templates_folder_beside_the_config_overrides_the_shipped_one(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("[sender]\nfrom_name = 'Eigen'\n")
    assert load_config(path, environ={}).templates_dir == resources.templates_dir()
    (tmp_path / "templates" / "email").mkdir(parents=True)
    assert load_config(path, environ={}).templates_dir == tmp_path / "templates"


def test_configured_templates_dir_is_used_even_when_missing(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("[content]\ntemplates_dir = 'huisstijl'\n")
    cfg = load_config(path, environ={})
    assert cfg.templates_dir == tmp_path / "huisstijl"  # render then names it and the fix
    with pytest.raises(TemplateError, match="templates_dir"):
        check_templates_dir(cfg.templates_dir)
