"""One IMAP session on IMAPClient's public API: connect, log in, list new UIDs, fetch, mark processed.

Fetching uses ``BODY.PEEK[]`` so the server never sets ``\\Seen`` by itself: a message is marked
(or moved to ``[imap] processed_folder``) only by ``mark_processed``, which the poller calls after
the database commit. Nothing here ever deletes or expunges.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ..config import ImapConfig
from ..errors import ImapUnavailable

# Errors that mean "the connection is gone or unusable": the poller reconnects with back-off.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (OSError, IMAPClientError, ssl.SSLError, EOFError)
SEEN = b"\\Seen"
# How servers word a login refused because the account has too many connections open
# (Dovecot: "Maximum number of connections from user+IP exceeded"; RFC 5530's [LIMIT]).
_TOO_MANY = ("maximum number of connections", "too many connections", "[limit]", "connection limit")


@dataclass(frozen=True)
class MailboxStatus:
    uidvalidity: int
    exists: int


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    size: int          # RFC822.SIZE as the server reports it
    too_large: bool    # only the header was fetched


class ImapSession:
    """``with ImapSession(cfg.imap, password) as s: s.select(); s.uids_after(n) ...``"""

    def __init__(self, cfg: ImapConfig, password: str, *, timeout: float = 30.0) -> None:
        self.cfg = cfg
        self.password = password
        self.timeout = timeout
        self.client: IMAPClient | None = None
        self.mailbox = cfg.mailbox

    @property
    def where(self) -> str:
        return f"{self.cfg.host}:{self.cfg.port}"

    def connect(self) -> "ImapSession":
        cfg = self.cfg
        try:
            client = IMAPClient(cfg.host, port=cfg.port, ssl=cfg.security == "tls", timeout=self.timeout)
            if cfg.security == "starttls":
                client.starttls()
        except CONNECTION_ERRORS as exc:
            raise ImapUnavailable(
                f"cannot reach the IMAP server {self.where} ({_short(exc)}): check [imap] host, port and security"
                " and that the server is running"
            ) from None
        # Without TCP_NODELAY some servers (pymap) answer every command about 40 ms late.
        try:
            client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        try:
            client.login(cfg.username, self.password)
        except (LoginError, *CONNECTION_ERRORS) as exc:
            _quiet_logout(client)
            raise ImapUnavailable(self._login_refused(exc)) from None
        self.client = client
        return self

    def _login_refused(self, exc: BaseException) -> str:
        """The one-line cause of a failed login: too many connections, a wrong password, or a
        connection dropped during the login."""
        text = _short(exc)
        user = self.cfg.username
        if any(marker in text.lower() for marker in _TOO_MANY):
            return (f"the IMAP server {self.where} refused the login of '{user}': too many connections are open"
                    f" for this account ({text}); stop the other pollers or mail clients on it, or wait until the"
                    " server drops their connections, then poll again")
        if isinstance(exc, LoginError):
            return (f"the IMAP server {self.where} refused the login of '{user}' ({text}): check [imap] username"
                    " and the MAILER_IMAP_PASSWORD environment variable")
        return (f"the IMAP server {self.where} dropped the login of '{user}' ({text}):"
                " check [imap] security and try again")

    def __enter__(self) -> "ImapSession":
        return self.connect() if self.client is None else self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            _quiet_logout(self.client)
            self.client = None

    @property
    def c(self) -> IMAPClient:
        if self.client is None:
            raise ImapUnavailable(f"not connected to the IMAP server {self.where}")
        return self.client

    def capabilities(self) -> set[str]:
        return {c.decode().upper() if isinstance(c, bytes) else str(c).upper() for c in self.c.capabilities()}

    def select(self) -> MailboxStatus:
        """Open the configured mailbox; a mailbox the server does not have is a one-line error
        that names it and the folders there are."""
        try:
            info = self.c.select_folder(self.mailbox)
        except IMAPClientError as exc:
            if not self.c.folder_exists(self.mailbox):
                folders = ", ".join(sorted(str(name) for _flags, _sep, name in self.c.list_folders()))
                raise ImapUnavailable(
                    f"the mailbox '{self.mailbox}' does not exist on {self.where} for '{self.cfg.username}':"
                    f" set [imap] mailbox to one of: {folders or '(none)'}"
                ) from None
            raise ImapUnavailable(
                f"the IMAP server {self.where} would not open the mailbox '{self.mailbox}' ({_short(exc)}):"
                " check [imap] mailbox and that the account may read it"
            ) from None
        return MailboxStatus(int(info.get(b"UIDVALIDITY", 0)), int(info.get(b"EXISTS", 0)))

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid`` in ascending order ('n:*' also returns the highest UID: filtered)."""
        uids = self.c.search(["UID", f"{last_uid + 1}:*"])
        return sorted(u for u in uids if u > last_uid)

    def larger_than(self, uids: Sequence[int], max_bytes: int) -> set[int]:
        """Those of ``uids`` over ``max_bytes``: one ``UID SEARCH ... LARGER`` (a short answer)."""
        return set(self.c.search(["UID", uid_set(uids), "LARGER", str(max_bytes)])) if uids else set()

    def fetch(self, uids: Sequence[int], max_bytes: int, *, large: set[int] | None = None) -> list[Fetched]:
        """Fetch ``uids`` (one batch) without setting \\Seen; of those over ``max_bytes`` (found
        with ``larger_than`` unless given as ``large``) only the header."""
        if not uids:
            return []
        large = self.larger_than(uids, max_bytes) if large is None else large.intersection(uids)
        small = [u for u in uids if u not in large]
        out: dict[int, Fetched] = {}
        if small:
            for uid, d in self.c.fetch(small, [b"BODY.PEEK[]", b"RFC822.SIZE"]).items():
                raw = d.get(b"BODY[]")
                if raw is not None:
                    out[uid] = Fetched(uid, bytes(raw), int(d.get(b"RFC822.SIZE", len(raw))), False)
        if large:
            for uid, d in self.c.fetch(sorted(large), [b"BODY.PEEK[HEADER]", b"RFC822.SIZE"]).items():
                out[uid] = Fetched(uid, bytes(d.get(b"BODY[HEADER]") or b""), int(d.get(b"RFC822.SIZE", 0)), True)
        return [out[u] for u in uids if u in out]

    def mark_processed(self, uids: Iterable[int]) -> None:
        """Flag \\Seen, or move to ``processed_folder`` (created when missing). Never deletes."""
        uids = list(uids)
        if not uids:
            return
        which = uid_set(uids)  # as ranges ("1:1000"): a short command for both sides
        folder = self.cfg.processed_folder
        if folder and not self.c.folder_exists(folder):
            self.c.create_folder(folder)
        self.c.add_flags(which, [SEEN], silent=True)
        if not folder:
            return
        if "MOVE" in self.capabilities():
            self.c.move(which, folder)
        else:  # without MOVE: copy and leave the original flagged \Seen (no expunge: nothing is deleted)
            self.c.copy(which, folder)

    # -- IDLE ------------------------------------------------------------------------------------
    def supports_idle(self) -> bool:
        return "IDLE" in self.capabilities()

    def idle_start(self) -> None:
        self.c.idle()

    def idle_check(self, timeout: float) -> list[object]:
        return list(self.c.idle_check(timeout=timeout))

    def idle_done(self) -> None:
        self.c.idle_done()


def uid_set(uids: Sequence[int]) -> str:
    """1,2,3,7,8 -> '1:3,7:8' (a batch is mostly one run of UIDs: a short command)."""
    runs: list[str] = []
    ordered = sorted(set(uids))
    start = prev = ordered[0]
    for u in ordered[1:] + [0]:
        if u == prev + 1:
            prev = u
            continue
        runs.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = u
    return ",".join(runs)


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _quiet_logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may already be gone
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
