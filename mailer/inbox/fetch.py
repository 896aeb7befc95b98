"""One IMAP session (IMAPClient): connect, log in, list new UIDs, fetch, mark processed.

Fetching uses ``BODY.PEEK[]`` so the server never sets ``\\Seen`` by itself: a message is marked
(or moved to ``[imap] processed_folder``) only by ``mark_processed``, which the poller calls after
the database commit. Nothing here ever deletes or expunges.
"""

from __future__ import annotations

import logging
import re
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
        # pymap (and others) answer every command about 44 ms late without TCP_NODELAY (TOOLCHAIN).
        try:
            client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        _quiet_imaplib(client)
        try:
            client.login(cfg.username, self.password)
        except LoginError:
            _quiet_logout(client)
            raise ImapUnavailable(
                f"the IMAP server {self.where} refused the login of '{cfg.username}': check [imap] username and"
                " the MAILER_IMAP_PASSWORD environment variable"
            ) from None
        except CONNECTION_ERRORS as exc:
            _quiet_logout(client)
            raise ImapUnavailable(
                f"the IMAP server {self.where} dropped the login of '{cfg.username}' ({_short(exc)}):"
                " check [imap] security and try again"
            ) from None
        self.client = client
        return self

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
        try:
            info = self.c.select_folder(self.mailbox)
        except IMAPClientError as exc:
            if "does not exist" in str(exc).lower() or "nonexistent" in str(exc).lower() or "no such" in str(exc).lower():
                raise ImapUnavailable(
                    f"the mailbox '{self.mailbox}' does not exist on {self.where}: check [imap] mailbox"
                ) from None
            raise
        return MailboxStatus(int(info.get(b"UIDVALIDITY", 0)), int(info.get(b"EXISTS", 0)))

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid`` in ascending order ('n:*' also returns the highest UID: filtered)."""
        uids = self.c.search(["UID", f"{last_uid + 1}:*"])
        return sorted(u for u in uids if u > last_uid)

    def fetch(self, uids: Sequence[int], max_bytes: int) -> list[Fetched]:
        """Fetch ``uids`` (one batch) without setting \\Seen; over ``max_bytes`` only the header.

        The big ones are found with one ``UID SEARCH ... LARGER`` (a short answer) rather than an
        RFC822.SIZE fetch per message first: parsing that second FETCH answer cost the poller as
        much as a third of a bare fetch. Messages are immutable, so the size cannot change between.
        """
        if not uids:
            return []
        large = set(self.c.search(["UID", _uid_set(uids), "LARGER", str(max_bytes)]))
        small = [u for u in uids if u not in large]
        out: dict[int, Fetched] = {}
        if small:
            bodies = self._fetch_bodies(small)
            if bodies is None:  # an answer the lean reader does not know: IMAPClient's full parser
                bodies = {}
                for uid, d in self.c.fetch(small, ["RFC822.SIZE", "BODY.PEEK[]"]).items():
                    raw = d.get(b"BODY[]")
                    if raw is not None:
                        bodies[uid] = (bytes(raw), int(d.get(b"RFC822.SIZE", len(raw))))
            for uid, (raw, size) in bodies.items():
                out[uid] = Fetched(uid, raw, size, False)
        if large:
            for uid, d in self.c.fetch(sorted(large), ["RFC822.SIZE", "BODY.PEEK[HEADER]"]).items():
                raw = d.get(b"BODY[HEADER]") or b""
                out[uid] = Fetched(uid, bytes(raw), int(d.get(b"RFC822.SIZE", 0)), True)
        return [out[u] for u in uids if u in out]

    def _fetch_bodies(self, uids: Sequence[int]) -> dict[int, tuple[bytes, int]] | None:
        """``UID FETCH (RFC822.SIZE BODY.PEEK[])`` read straight from imaplib's answer, or None.

        IMAPClient's general response parser tokenises every FETCH item in Python: 65 us a
        message here against 40 us for imaplib alone, a tenth of what the poller spends per
        message. Each answer is one literal (the message) with UID and size around it; anything
        else (no UID, two literals, an unknown shape) returns None and the caller uses IMAPClient.
        """
        imap = getattr(self.c, "_imap", None)
        if imap is None:
            return None
        typ, data = imap.uid("FETCH", _uid_set(uids), "(RFC822.SIZE BODY.PEEK[])")
        if typ != "OK":
            return None
        out: dict[int, tuple[bytes, int]] = {}
        for i, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            if len(item) != 2 or not isinstance(item[0], bytes) or not item[0].rstrip().endswith(b"}"):
                return None
            tail = data[i + 1] if i + 1 < len(data) and isinstance(data[i + 1], bytes) else b""
            meta = item[0] + b" " + tail
            uid, size = _FETCH_UID.search(meta), _FETCH_SIZE.search(meta)
            if uid is None or b"BODY[]" not in item[0].upper() or meta.count(b"{") != 1:
                return None
            raw = bytes(item[1])
            out[int(uid.group(1))] = (raw, int(size.group(1)) if size else len(raw))
        wanted = set(uids)
        return {u: v for u, v in out.items() if u in wanted}

    def mark_processed(self, uids: Iterable[int]) -> None:
        """Flag \\Seen, or move to ``processed_folder`` (created when missing). Never deletes."""
        uids = list(uids)
        if not uids:
            return
        folder = self.cfg.processed_folder
        if not folder:
            self.c.add_flags(uids, [b"\\Seen"], silent=True)
            return
        if not self.c.folder_exists(folder):
            self.c.create_folder(folder)
        self.c.add_flags(uids, [b"\\Seen"], silent=True)
        if "MOVE" in self.capabilities():
            self.c.move(uids, folder)
        else:  # without MOVE: copy and leave the original flagged \Seen (no expunge: nothing is deleted)
            self.c.copy(uids, folder)

    # -- IDLE ------------------------------------------------------------------------------------
    def supports_idle(self) -> bool:
        return "IDLE" in self.capabilities()

    def idle_start(self) -> None:
        self.c.idle()

    def idle_check(self, timeout: float) -> list[object]:
        return list(self.c.idle_check(timeout=timeout))

    def idle_done(self) -> None:
        self.c.idle_done()


_FETCH_UID = re.compile(rb"[( ]UID (\d+)", re.IGNORECASE)
_FETCH_SIZE = re.compile(rb"[( ]RFC822\.SIZE (\d+)", re.IGNORECASE)


def _uid_set(uids: Sequence[int]) -> str:
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


def _quiet_imaplib(client: IMAPClient) -> None:
    """IMAPClient sets imaplib's debug level to 5 and routes it to the ``imapclient.imaplib``
    logger, so imaplib formats a ``%r`` of every line it reads and of every regex match, and then
    the logger drops it: about 10 us of a 2 KB message's ~40 us fetch. With that logger off for
    DEBUG (the default), imaplib is told not to format at all; with it on, nothing changes."""
    imap = getattr(client, "_imap", None)
    if imap is not None and not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        imap.debug = 0


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
