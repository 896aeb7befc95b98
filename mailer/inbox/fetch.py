"""One IMAP session (IMAPClient): connect, log in, list new UIDs, fetch, mark processed.

Fetching uses ``BODY.PEEK[]`` so the server never sets ``\\Seen`` by itself: a message is marked
(or moved to ``[imap] processed_folder``) only by ``mark_processed``, which the poller calls after
the database commit. Nothing here ever deletes or expunges.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import NamedTuple

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


class Fetched(NamedTuple):  # one per message: a named tuple is built in C (speed)
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

    def larger_than(self, uids: Sequence[int], max_bytes: int) -> set[int]:
        """Those of ``uids`` over ``max_bytes``: one ``UID SEARCH ... LARGER`` (a short answer)."""
        return set(self.c.search(["UID", _uid_set(uids), "LARGER", str(max_bytes)])) if uids else set()

    def fetch(self, uids: Sequence[int], max_bytes: int, *, large: set[int] | None = None) -> list[Fetched]:
        """Fetch ``uids`` (one batch) without setting \\Seen; over ``max_bytes`` only the header.

        The big ones are found with ``larger_than`` (or given as ``large``, found for a whole
        backlog at once) rather than an RFC822.SIZE fetch per message first: parsing that second
        FETCH answer cost the poller as much as a third of a bare fetch. Messages are immutable,
        so the size cannot change between.
        """
        if not uids:
            return []
        large = self.larger_than(uids, max_bytes) if large is None else large.intersection(uids)
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
        """``UID FETCH (RFC822.SIZE BODY.PEEK[])`` read straight off imaplib's connection, or None.

        IMAPClient's general response parser tokenises every FETCH item in Python: 65 us a
        message here against 40 us for imaplib alone, a tenth of what the poller spends per
        message; ``_read_fetch_answer`` reads the answer leaner still. Each answer is one literal
        (the message) with UID and size around it; anything else (no UID, two literals, an
        unknown shape) returns None and the caller uses IMAPClient.
        """
        imap = getattr(self.c, "_imap", None)
        if imap is None:
            return None
        tag = imap._command("UID", "FETCH", _uid_set(uids), "(RFC822.SIZE BODY.PEEK[])")
        typ, answers = _read_fetch_answer(imap, tag, "UID FETCH")
        if typ != "OK" or answers is None:
            return None
        out: dict[int, tuple[bytes, int]] = {}
        for head, raw, tail in answers:
            uid_size = _uid_and_size(head, tail, len(raw))
            if uid_size is None:
                return None
            out[uid_size[0]] = (raw, uid_size[1])
        wanted = set(uids)
        return {u: v for u, v in out.items() if u in wanted}

    def mark_processed(self, uids: Iterable[int]) -> None:
        """Flag \\Seen, or move to ``processed_folder`` (created when missing). Never deletes."""
        self.mark_processed_wait(self.mark_processed_send(uids))

    def mark_processed_send(self, uids: Iterable[int]) -> bytes | None:
        """``mark_processed`` without waiting for the answer: IMAP lets a client send a command
        before the last one is answered, so the server's flag work (a rename per message in a
        maildir) can run while the poller writes to its database. With only ``\\Seen`` to set,
        the STORE is sent and its tag returned for ``mark_processed_wait``, which must come
        before any other command on this session; a move is done whole here (None)."""
        uids = list(uids)
        if not uids:
            return None
        # As ranges ("1:1000"), not a list of 1,000 numbers: a short command for both sides.
        which = _uid_set(uids)
        folder = self.cfg.processed_folder
        imap = getattr(self.c, "_imap", None)
        if not folder and imap is not None:
            tag: bytes = imap._command("UID", "STORE", which, "+FLAGS.SILENT", "(\\Seen)")
            return tag
        if folder and not self.c.folder_exists(folder):
            self.c.create_folder(folder)
        self.c.add_flags(which, [b"\\Seen"], silent=True)
        if not folder:
            return None
        if "MOVE" in self.capabilities():
            self.c.move(which, folder)
        else:  # without MOVE: copy and leave the original flagged \Seen (no expunge: nothing is deleted)
            self.c.copy(which, folder)
        return None

    def mark_processed_wait(self, tag: bytes | None) -> None:
        """The answer to ``mark_processed_send``; raises if the server refused the STORE."""
        if tag is None:
            return
        typ, data = self.c._imap._command_complete("UID", tag)
        if typ != "OK":
            raise IMAPClientError(f"UID STORE failed: {typ} {data!r}")

    # -- IDLE ------------------------------------------------------------------------------------
    def supports_idle(self) -> bool:
        return "IDLE" in self.capabilities()

    def idle_start(self) -> None:
        self.c.idle()

    def idle_check(self, timeout: float) -> list[object]:
        return list(self.c.idle_check(timeout=timeout))

    def idle_done(self) -> None:
        self.c.idle_done()


def _read_fetch_answer(imap: imaplib.IMAP4, tag: bytes, name: str
                       ) -> tuple[str, list[tuple[bytes, bytes, bytes]] | None]:
    """Read the answer to the command ``tag`` sent with imaplib's ``_command``: its status
    ("OK", "NO") and every untagged FETCH with one literal as (line before, literal, line after);
    None for the list if any answer had another shape (more literals, a literal elsewhere).

    Written by hand for speed: imaplib's reader (``_get_response``) formats a %r of every line for
    its debug log, tries up to four regexes a line and files each literal in its untagged-response
    dict first: 9 us of CPU a 2 KB message here, this about 5 (tests/test_ingest_speed.py checks
    it against IMAPClient on a real server). It keeps imaplib's rules: the same line reader and
    limit, EOF and unterminated lines are ``abort``, BAD is ``error``, BYE is noticed before and
    after, other untagged answers (EXISTS, EXPUNGE, OK [...]) go where imaplib files them, and
    untagged FETCH lines without a literal (flag updates) are dropped, as ``uid()`` dropped them.
    """
    prefix = tag + b" "
    answers: list[tuple[bytes, bytes, bytes]] | None = []
    readline, read = imap.readline, imap.read

    def line_of() -> bytes:
        line = readline()
        if not line:
            raise imap.abort(f"command: {name} => socket error: EOF")
        if not line.endswith(b"\r\n"):
            raise imap.abort(f"command: {name} => socket error: unterminated line: {line[:200]!r}")
        return line[:-2]

    imap._check_bye()
    while True:
        line = line_of()
        if line.startswith(prefix):
            imap.tagged_commands.pop(tag, None)
            typ = line[len(prefix):].split(b" ", 1)[0].decode("ascii", "replace").upper()
            imap._check_bye()
            if typ == "BAD":
                raise imap.error(f"{name} command error: {typ} {line[len(prefix):][:200]!r}")
            return typ, answers
        if line.endswith(b"}") and (lit := _LITERAL.search(line)) is not None:
            data = read(int(lit.group(1)))
            tail = line_of()
            while tail.endswith(b"}") and (more := _LITERAL.search(tail)) is not None:  # another literal
                read(int(more.group(1)))
                tail = line_of()
                answers = None
            if answers is not None and line.startswith(b"* ") and b" FETCH " in line[:40]:
                answers.append((line, data, tail))
            else:
                answers = None
            continue
        mo = imaplib.Untagged_response.match(line)  # type: ignore[attr-defined]  # module-level, untyped
        dat2 = None
        if mo is None:
            mo = imap.Untagged_status.match(line)
            dat2 = mo.group("data2") if mo is not None else None
        if mo is None:
            if line.startswith(b"+"):
                continue  # a continuation request cannot come here; imaplib would skip it too
            raise imap.abort(f"command: {name} => unexpected response: {line[:200]!r}")
        typ = mo.group("type").decode("ascii")
        if typ == "FETCH":
            continue
        dat = mo.group("data") or b""
        imap._append_untagged(typ, dat + b" " + dat2 if dat2 else dat)


def _uid_and_size(head: bytes, tail: bytes, length: int) -> tuple[int, int] | None:
    """UID and RFC822.SIZE (else ``length``) of one FETCH answer, from the lines before and after
    its literal; None unless it is a BODY[] answer with a UID."""
    if tail == b")" and (common := _FETCH_COMMON.fullmatch(head)) is not None:
        return int(common.group(1)), int(common.group(2))
    return _uid_and_size_general(head, tail, length)


def _uid_and_size_general(head: bytes, tail: bytes, length: int) -> tuple[int, int] | None:
    meta = head + b" " + tail
    uid, size = _FETCH_UID.search(meta), _FETCH_SIZE.search(meta)
    if uid is None or b"BODY[]" not in head.upper():
        return None
    return int(uid.group(1)), int(size.group(1)) if size else length


_LITERAL = re.compile(rb"\{(\d+)\}$")
_FETCH_UID = re.compile(rb"[( ]UID (\d+)", re.IGNORECASE)
# The answer as Dovecot writes it, read with one match (speed: the general reading,
# two case-insensitive searches and an upper(), is 1.9 against 0.6 us a message).
_FETCH_COMMON = re.compile(rb"\* \d+ FETCH \(UID (\d+) RFC822\.SIZE (\d+) BODY\[\] \{\d+\}")
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
