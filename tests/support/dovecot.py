"""Debian's Dovecot on loopback in a private folder: the real IMAP server for the restart test and
``bench/ingest.py`` (pymap keeps everything in memory and dies with the process; Dovecot can be
stopped and started again with its mail on disk).

Runs as root with mail owned by uid/gid 65534, following the recipe in TOOLCHAIN.md.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
UID = GID = 65534


def available() -> bool:
    return Path(DOVECOT).exists() and Path(DOVEADM).exists() and os.geteuid() == 0


class LocalDovecot:
    """``with LocalDovecot(folder, port) as d: d.port, d.user, d.password; d.stop(); d.start()``"""

    def __init__(self, port: int, folder: Path | None = None, user: str = "tester", password: str = "secret",
                 max_connections: int = 10) -> None:
        # Dovecot's auth process runs as user 'dovecot' and must traverse to the users file: pytest's
        # tmp_path (mode 0700 under root) is out of reach, so by default a world-traversable folder.
        self._own_folder = folder is None
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="mailer-dovecot-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        self.port = port
        self.user = user
        self.password = password
        self.max_connections = max_connections  # per user and IP (Dovecot's default is 10)
        self.conf = self.folder / "dovecot.conf"
        self._write_config()

    def _write_config(self) -> None:
        f = self.folder
        for sub in ("run", "state", "mail"):
            (f / sub).mkdir(parents=True, exist_ok=True)
        home = f / "mail" / self.user
        home.mkdir(parents=True, exist_ok=True)
        for path in (f / "mail", home):
            os.chown(path, UID, GID)
        (f / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}:{UID}:{GID}::{home}::\n")
        self.conf.write_text(f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {f}/run
state_dir = {f}/state
instance_name = mailer-test-{self.port}
log_path = {f}/dovecot.log
ssl = no
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
first_valid_uid = 1
mail_max_userip_connections = {self.max_connections}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {f}/users
}}
userdb {{
  driver = passwd-file
  args = {f}/users
}}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")

    def start(self, timeout: float = 10.0) -> "LocalDovecot":
        # No pipes: the daemon inherits them and would keep them open, blocking run() forever.
        subprocess.run([DOVECOT, "-c", str(self.conf)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(64).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"dovecot did not listen on 127.0.0.1:{self.port}; see {self.folder}/dovecot.log")

    def stop(self) -> None:
        subprocess.run([DOVEADM, "-c", str(self.conf), "stop"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # wait until the port is closed
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                return

    def cleanup(self) -> None:
        """Remove the folder if this object created it (call after ``stop``)."""
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def client(self, timeout: float = 10) -> IMAPClient:
        """An IMAPClient logged in as the test user (use it in a ``with`` block)."""
        c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=timeout)
        c.login(self.user, self.password)
        return c

    def save(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Deliver one message straight into the mailbox (doveadm save)."""
        subprocess.run([DOVEADM, "-c", str(self.conf), "save", "-u", self.user, "-m", mailbox],
                       input=raw, check=True, capture_output=True, timeout=30)

    def __enter__(self) -> "LocalDovecot":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.cleanup()
