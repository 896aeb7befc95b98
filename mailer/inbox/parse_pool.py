"""Parsing in worker processes, for a large backlog.

The poller fetches, attributes and writes in its own process while a few worker processes parse
(parsing is most of the CPU a reply costs, and the standard ``email`` package holds the GIL).
A worker receives raw bytes and sends back ``ParsedMessage`` objects; it holds no IMAP or database
connection, so it cannot file, flag or lose anything. Workers are started with ``spawn`` (a fresh
interpreter: no copy of the poller's sockets or threads) and leave as soon as the poller's end of
their pipe closes, which also happens when the poller is killed.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from . import parse as parser

log = logging.getLogger(__name__)

CHUNK = 25            # messages a worker parses per round trip
JOIN_SECONDS = 1.0    # how long ``close`` waits for a worker to leave before it is terminated

Outcome = parser.ParsedMessage | str  # the parsed message, or why the parser raised


def parse_or_error(raw: bytes, max_bytes: int, own_addresses: tuple[str, ...]) -> Outcome:
    """``parse_message``, with an exception (which it promises never to raise) turned into text."""
    try:
        return parser.parse_message(raw, max_bytes=max_bytes, own_addresses=own_addresses)
    except Exception as exc:  # noqa: BLE001 - the message is filed as 'other' with this error
        return f"parser failed: {type(exc).__name__}: {exc}"[:500]


def _serve(conn: Connection, max_bytes: int, own_addresses: tuple[str, ...]) -> None:
    """A worker's loop: a chunk of raw messages in, their outcomes out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the poller's to handle
    while True:
        try:
            raws = conn.recv()
            conn.send([parse_or_error(raw, max_bytes, own_addresses) for raw in raws])
        except (EOFError, OSError):  # the poller closed the pipe, ended or was killed
            return


class ParsePool:
    """``workers`` parsing processes; ``parse`` hands out the outcomes in order.

    Each worker has one chunk in flight at a time, so neither side can block the other on a full
    pipe. If a worker dies, this process parses the rest itself.
    """

    def __init__(self, workers: int, *, max_bytes: int, own_addresses: tuple[str, ...]) -> None:
        self.max_bytes = max_bytes
        self.own_addresses = own_addresses
        ctx = multiprocessing.get_context("spawn")
        self._conns: list[Connection] = []
        self._procs: list[BaseProcess] = []
        self._broken = False  # a worker died: the rest is parsed in this process
        for n in range(workers):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs, max_bytes, own_addresses),
                               name=f"mailer-parse-{n + 1}", daemon=True)
            proc.start()
            theirs.close()  # only the worker holds its end: it sees EOF when we go
            self._conns.append(ours)
            self._procs.append(proc)

    @property
    def pids(self) -> list[int | None]:
        return [p.pid for p in self._procs]

    def parse(self, raws: Sequence[bytes]) -> Iterator[Outcome]:
        """The outcome for each of ``raws``, in order, as soon as it is ready."""
        chunks = [raws[i:i + CHUNK] for i in range(0, len(raws), CHUNK)]
        pending: dict[int, int] = {}  # worker -> the chunk it holds
        try:
            for k in range(min(len(self._conns), len(chunks))):
                self._give(k, k, chunks, pending)
            for k, chunk in enumerate(chunks):
                outcomes = self._take(k, chunks, pending)
                if outcomes is None:
                    outcomes = [parse_or_error(raw, self.max_bytes, self.own_addresses) for raw in chunk]
                yield from outcomes
        finally:  # left early (the caller failed): collect what is in flight, for the next call
            for worker in list(pending):
                self._receive(worker, pending)

    def _give(self, worker: int, k: int, chunks: list[Sequence[bytes]], pending: dict[int, int]) -> None:
        if self._broken or k >= len(chunks):
            return
        try:
            self._conns[worker].send(list(chunks[k]))
            pending[worker] = k
        except OSError as exc:
            self._fail(exc)

    def _take(self, k: int, chunks: list[Sequence[bytes]], pending: dict[int, int]) -> list[Outcome] | None:
        """Chunk ``k``'s outcomes from its worker, which then gets the next chunk of its share;
        None when the workers cannot be used (the caller parses the chunk itself)."""
        worker = k % max(1, len(self._conns))
        if self._broken or pending.get(worker) != k:
            return None
        outcomes = self._receive(worker, pending)
        self._give(worker, k + len(self._conns), chunks, pending)
        return outcomes

    def _receive(self, worker: int, pending: dict[int, int]) -> list[Outcome] | None:
        pending.pop(worker, None)
        if self._broken:
            return None
        try:
            outcomes: list[Outcome] = self._conns[worker].recv()
            return outcomes
        except (EOFError, OSError) as exc:
            self._fail(exc)
            return None

    def _fail(self, exc: BaseException) -> None:
        log.warning("a parsing worker ended (%s): the poller parses the rest itself", exc)
        self._broken = True

    def close(self) -> None:
        """Close the pipes (the workers leave) and wait briefly for them."""
        for conn in self._conns:
            conn.close()
        for proc in self._procs:
            proc.join(JOIN_SECONDS)
            if proc.is_alive():
                proc.terminate()
                proc.join(JOIN_SECONDS)
        self._conns, self._procs = [], []

    def __enter__(self) -> "ParsePool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
