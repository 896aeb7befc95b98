"""Shared fixtures: real SMTP and IMAP servers on loopback, a real SQLite file, a config for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from imapclient import IMAPClient

from mailer.config import Config, load_config
from mailer.localservers import LocalImapServer, LocalSmtpServer
from mailer.runtime import Runtime

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the repository checkout the tests run in
DATA = Path(__file__).parent / "data"


def imap_client(port: int) -> IMAPClient:
    """A logged-in client of the ``imap_server`` fixture's mailbox (the test's own connection)."""
    c = IMAPClient("127.0.0.1", port=port, ssl=False)
    c.login("demouser", "demopass")
    return c


def append_to(port: int, *messages: bytes, folder: str = "INBOX") -> None:
    """Put ``messages`` in ``folder`` of the ``imap_server`` fixture, in one MULTIAPPEND."""
    if messages:
        with imap_client(port) as c:
            c.multiappend(folder, list(messages))


def flags_of(port: int, folder: str = "INBOX") -> dict[int, tuple]:
    """UID -> flags of every message in ``folder`` of the ``imap_server`` fixture."""
    with imap_client(port) as c:
        c.select_folder(folder, readonly=True)
        uids = c.search("ALL")
        return c.get_flags(uids) if uids else {}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MAILER_* from the developer's shell leaks into a test; a fixed signing key."""
    import os

    for var in list(os.environ):
        if var.startswith("MAILER_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("MAILER_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("MAILER_IMAP_PASSWORD", "demopass")


@pytest.fixture
def smtp_server():
    with LocalSmtpServer() as server:
        yield server


@pytest.fixture
def imap_server():
    with LocalImapServer(user="demouser", password="demopass") as server:
        yield server


def write_config(tmp_path: Path, smtp_port: int = 8025, imap_port: int = 1143, **extra: dict) -> Path:
    """A config.toml in ``tmp_path`` pointing at the given servers and the repo's content."""
    sections: dict[str, dict] = {
        "database": {"path": str(tmp_path / "mailer.db")},
        "content": {
            "newsletters_dir": str(PROJECT_ROOT / "newsletters"),
            "templates_dir": str(PROJECT_ROOT / "templates"),
            "output_dir": str(tmp_path / "rendered"),
        },
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "timeout": 10},
        "imap": {"host": "127.0.0.1", "port": imap_port, "username": "demouser"},
    }
    for section, values in extra.items():
        sections.setdefault(section, {}).update(values)
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, (int, float)):
                lines.append(f"{key} = {value}")
            else:
                lines.append(f'{key} = "{value}"')
        lines.append("")
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def config_path(tmp_path: Path, smtp_server: LocalSmtpServer, imap_server: LocalImapServer) -> Path:
    return write_config(tmp_path, smtp_server.port, imap_server.port)


@pytest.fixture
def config(config_path: Path) -> Config:
    return load_config(config_path)


@pytest.fixture
def runtime(config: Config):
    rt = Runtime(config)
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Debian chromium per test module (skips when chromium is not installed)."""
    from support.browser import chromium

    with chromium() as b:
        yield b
