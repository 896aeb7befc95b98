"""Team accounts: password hashing (argon2), log-in with a per-client back-off, server-side sessions.

No account is ever locked (a stranger could lock anyone out, and the lock would tell which names
exist). Instead ``LoginGuard`` slows guessing per client address and caps log-ins overall before any
password is hashed, and every argon2 run goes through a small pool (``HASH_WORKERS``), so parallel
log-ins cannot exhaust memory. Known and unknown names get the same answer after the same work.
A session is a random token in the cookie and its SHA-256 in ``team_sessions``: log-out and a
password change delete it, and it lapses after ``IDLE_LIMIT`` without a request.
"""

from __future__ import annotations


import hashlib
import ipaddress
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..db import utcnow
from ..errors import InvalidInput, MailerError, NotFound
from ..stores import users as store
from ..stores.users import User

__all__ = ["User", "LoginFailed", "LoginRefused", "LoginGuard", "create_user", "set_password", "list_users",
           "user_names", "get_user", "authenticate", "start_session", "session_user", "open_sessions", "end_session"]

MIN_PASSWORD = 8
IDLE_LIMIT = timedelta(hours=12)          # a session unused this long is refused
TOUCH_EVERY = timedelta(minutes=1)        # how stale a session's seen_at may get before it is written
HASH_WORKERS = 2                          # argon2 runs at once (each takes 64 MiB)
HASH_QUEUE = 2                            # log-ins that may wait for a worker; more are told to retry
FREE_FAILURES = 5                         # wrong passwords a client may try before the back-off starts
BACKOFF_START = 1.0                       # seconds, doubled with every further failure ...
BACKOFF_MAX = 15 * 60.0                   # ... up to this
FORGET_AFTER = 60 * 60.0                  # a client without attempts this long starts afresh
GLOBAL_LIMIT = 30                         # log-ins checked per GLOBAL_WINDOW, all clients together
GLOBAL_WINDOW = 60.0

_hasher = PasswordHasher()


_dummy: list[str] = []
_dummy_lock = threading.Lock()


def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as much as a wrong password;
    made once on first use (not at import, so commands that log no one in start fast), under a lock
    so that a burst of log-ins does not hash it many times at once."""
    with _dummy_lock:
        if not _dummy:
            _dummy.append(_hasher.hash("not-a-real-password"))
        return _dummy[0]


class LoginFailed(MailerError):
    """Wrong name or password (the same for both, so names cannot be probed)."""


class LoginRefused(MailerError):
    """The attempt was not checked: too many from this client (429) or the server is busy (503)."""

    def __init__(self, message: str, /, retry_after: int, status: int, **params: object) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after
        self.status = status


class _HashPool:
    """At most ``workers`` argon2 runs at once and ``queue`` more waiting; beyond that, refuse at once
    (a waiting log-in holds a web thread that the public pages need)."""

    def __init__(self, workers: int, queue: int) -> None:
        self._admitted = threading.BoundedSemaphore(workers + queue)
        self._running = threading.BoundedSemaphore(workers)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._admitted.acquire(blocking=False):
            raise LoginRefused("too many log-ins at once", retry_after=2, status=503)
        try:
            with self._running:
                yield
        finally:
            self._admitted.release()


_POOL = _HashPool(HASH_WORKERS, HASH_QUEUE)


def _hash(password: str) -> str:
    with _POOL.slot():
        return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    with _POOL.slot():
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 60 or any(c.isspace() for c in name):
        raise InvalidInput("'%(name)s' is not a usable user name: use one word without "
                           "spaces, e.g. 'anna'", name=name)
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("the password is too short: use at least %(min)s characters", min=MIN_PASSWORD)


def create_user(db: sqlite_utils.Database, name: str, password: str) -> User:
    """Add a team account; the password is stored only as an argon2id hash."""
    name = _check_name(name)
    _check_password(password)
    if store.name_taken(db, name):
        raise InvalidInput("user '%(name)s' already exists: pick another name or use "
                           "'mailer users password %(name)s'", name=name)
    return store.add_user(db, name, _hash(password), utcnow())


def set_password(db: sqlite_utils.Database, name: str, password: str) -> None:
    """Give an account a new password and end all its sessions."""
    _check_password(password)
    if not store.replace_password(db, name, _hash(password)):
        raise NotFound("no user '%(name)s': see 'mailer users list'", name=name)


def list_users(db: sqlite_utils.Database) -> list[User]:
    return store.list_users(db)


def user_names(db: sqlite_utils.Database) -> list[str]:
    return store.user_names(db)


def get_user(db: sqlite_utils.Database, user_id: int) -> User | None:
    return store.get_user(db, user_id)


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> User:
    """The user if name and password match, else ``LoginFailed``; one argon2 run either way."""
    found = store.credentials(db, name.strip())
    ok = _verify(found.password_hash if found else _dummy_hash(), password or "-")
    if found is None or not ok:
        raise LoginFailed("wrong name or password")
    if _hasher.check_needs_rehash(found.password_hash):
        store.set_password_hash(db, found.user.id, _hash(password))
    return found.user


def _client_key(address: str) -> str:
    """An IPv6 client is its /64 (one household or server has the whole block); IPv4 as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass
class _Client:
    failures: int = 0      # attempts not (yet) known to have succeeded, counted before hashing
    last: float = 0.0      # monotonic time of the last attempt that was checked


class LoginGuard:
    """Decides, before any hashing, whether a log-in attempt from a client address is checked.

    Each client has ``FREE_FAILURES`` attempts, then waits ``BACKOFF_START`` s doubling per
    further failure (up to ``BACKOFF_MAX``); a success clears its record. Attempts refused while
    waiting cost nothing and do not extend the wait. All clients together get ``GLOBAL_LIMIT``
    checked attempts per ``GLOBAL_WINDOW`` s. In memory, per process: a restart forgets it.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clients: dict[str, _Client] = {}
        self._recent: list[float] = []
        self._lock = threading.Lock()
        self._now = clock

    def admit(self, client: str) -> None:
        """Count an attempt from ``client`` about to be checked, or raise ``LoginRefused``."""
        client = _client_key(client)
        now = self._now()
        with self._lock:
            rec = self._clients.get(client)
            if rec is None or now - rec.last > FORGET_AFTER:
                rec = self._clients[client] = _Client()
            if rec.failures >= FREE_FAILURES:
                wait = min(BACKOFF_START * 2 ** (rec.failures - FREE_FAILURES), BACKOFF_MAX)
                if now < rec.last + wait:
                    raise LoginRefused("too many log-in attempts from this address",
                                       retry_after=max(1, round(rec.last + wait - now)), status=429)
            self._recent = [t for t in self._recent if t > now - GLOBAL_WINDOW]
            if len(self._recent) >= GLOBAL_LIMIT:
                raise LoginRefused("too many log-ins overall",
                                   retry_after=max(1, round(self._recent[0] + GLOBAL_WINDOW - now)), status=503)
            self._recent.append(now)
            rec.failures += 1
            rec.last = now
            if len(self._clients) > 10_000:  # drop forgotten clients so memory stays bounded
                for key in [k for k, v in self._clients.items() if now - v.last > FORGET_AFTER]:
                    del self._clients[key]

    def clear(self, client: str) -> None:
        """``client`` logged in: its failures are forgiven."""
        with self._lock:
            self._clients.pop(_client_key(client), None)

    def log_in(self, db: sqlite_utils.Database, client: str, name: str, password: str) -> User:
        """``authenticate`` behind the client's back-off and the global limit.

        Raises ``LoginRefused`` (nothing hashed) or ``LoginFailed``.
        """
        self.admit(client)
        user = authenticate(db, name, password)
        self.clear(client)
        return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def start_session(db: sqlite_utils.Database, user: User, now: datetime | None = None) -> str:
    """A new session for ``user``; returns the token for the cookie (only its hash is stored)."""
    now = now or datetime.now(timezone.utc)
    store.end_idle_sessions(db, _iso(now - IDLE_LIMIT))
    token = secrets.token_urlsafe(32)
    store.add_session(db, _token_hash(token), user.id, _iso(now))
    return token


def session_user(db: sqlite_utils.Database, token: str, now: datetime | None = None) -> User | None:
    """The user of a live session, noting that it was used; None when ended, lapsed or unknown."""
    if not isinstance(token, str) or not token:
        return None
    now = now or datetime.now(timezone.utc)
    key = _token_hash(token)
    found = store.find_session(db, key)
    if found is None:
        return None
    seen = datetime.fromisoformat(found.seen_at)
    if now - seen >= IDLE_LIMIT:
        store.end_session(db, key)
        return None
    if now - seen >= TOUCH_EVERY:
        store.touch_session(db, key, _iso(now))
    return found.user


def open_sessions(db: sqlite_utils.Database, now: datetime | None = None) -> dict[int, int]:
    """Sessions not yet lapsed, per user id."""
    now = now or datetime.now(timezone.utc)
    store.end_idle_sessions(db, _iso(now - IDLE_LIMIT))
    return store.session_counts(db)


def end_session(db: sqlite_utils.Database, token: str) -> None:
    if isinstance(token, str) and token:
        store.end_session(db, _token_hash(token))
