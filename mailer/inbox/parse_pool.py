"""Parsing in worker processes, for a large backlog.

The poller fetches, attributes and writes in its own process while a few worker processes parse
(parsing is about half the CPU a reply costs, and the standard ``email`` package holds the GIL).
A worker receives raw bytes and sends back ``ParsedMessage`` objects; it holds no IMAP or database
connection, so it cannot file, flag or lose anything. It leaves as soon as its standard input
closes, which also happens when the poller is killed.

A worker is ``python -m mailer.inbox.parse_pool`` talking one pickle at a time over its standard
input and output (pickles delimit themselves). Not ``multiprocessing``: its ``spawn`` re-imports
the caller's main module (the whole CLI) in every worker, which costs more CPU than parsing a
thousand messages, and ``fork`` would copy the poller's sockets and threads.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import IO

from . import parse as parser

log = logging.getLogger(__name__)

CHUNK = 25            # messages a worker parses per round trip
JOIN_SECONDS = 1.0    # how long ``close`` waits for a worker to leave before it is killed

Outcome = parser.ParsedMessage | str  # the parsed message, or why the parser raised


def parse_or_error(raw: bytes, max_bytes: int, own_addresses: tuple[str, ...]) -> Outcome:
    """``parse_message``, with an exception (which it promises never to raise) turned into text."""
    try:
        return parser.parse_message(raw, max_bytes=max_bytes, own_addresses=own_addresses)
    except Exception as exc:  # noqa: BLE001 - the message is filed as 'other' with this error
        return f"parser failed: {type(exc).__name__}: {exc}"[:500]


def serve(max_bytes: int, own_addresses: tuple[str, ...], requests: IO[bytes], answers: IO[bytes]) -> None:
    """A worker's loop: a chunk of raw messages in, their outcomes out, until the input closes."""
    while True:
        try:
            raws = pickle.load(requests)
        except (EOFError, pickle.UnpicklingError, OSError):  # the poller closed the pipe, ended or was killed
            return
        try:
            pickle.dump([parse_or_error(raw, max_bytes, own_addresses) for raw in raws], answers,
                        protocol=pickle.HIGHEST_PROTOCOL)
            answers.flush()
        except OSError:
            return


class ParsePool:
    """``workers`` parsing processes; ``parse`` hands out the outcomes in order.

    Each worker has one chunk in flight at a time, so neither side can block the other on a full
    pipe. If a worker dies, this process parses the rest itself.
    """

    def __init__(self, workers: int, *, max_bytes: int, own_addresses: tuple[str, ...]) -> None:
        self.max_bytes = max_bytes
        self.own_addresses = own_addresses
        self._broken = False  # a worker died: the rest is parsed in this process
        # The worker imports the same ``mailer`` as this process (as multiprocessing does, by path).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._procs = [
            subprocess.Popen([sys.executable, "-m", __name__, str(max_bytes), *own_addresses],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            for _ in range(workers)
        ]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    def parse(self, raws: Sequence[bytes]) -> Iterator[Outcome]:
        """The outcome for each of ``raws``, in order, as soon as it is ready."""
        chunks = [raws[i:i + CHUNK] for i in range(0, len(raws), CHUNK)]
        pending: dict[int, int] = {}  # worker -> the chunk it holds
        try:
            for k in range(min(len(self._procs), len(chunks))):
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
        requests = self._procs[worker].stdin
        assert requests is not None
        try:
            pickle.dump(list(chunks[k]), requests, protocol=pickle.HIGHEST_PROTOCOL)
            requests.flush()
            pending[worker] = k
        except OSError as exc:
            self._fail(exc)

    def _take(self, k: int, chunks: list[Sequence[bytes]], pending: dict[int, int]) -> list[Outcome] | None:
        """Chunk ``k``'s outcomes from its worker, which then gets the next chunk of its share;
        None when the workers cannot be used (the caller parses the chunk itself)."""
        worker = k % max(1, len(self._procs))
        if self._broken or pending.get(worker) != k:
            return None
        outcomes = self._receive(worker, pending)
        self._give(worker, k + len(self._procs), chunks, pending)
        return outcomes

    def _receive(self, worker: int, pending: dict[int, int]) -> list[Outcome] | None:
        pending.pop(worker, None)
        if self._broken:
            return None
        answers = self._procs[worker].stdout
        assert answers is not None
        try:
            outcomes: list[Outcome] = pickle.load(answers)
            return outcomes
        except (EOFError, pickle.UnpicklingError, OSError) as exc:
            self._fail(exc)
            return None

    def _fail(self, exc: BaseException) -> None:
        log.warning("a parsing worker ended (%s): the poller parses the rest itself", exc)
        self._broken = True

    def close(self) -> None:
        """Close the workers' input (they leave) and wait briefly for them."""
        for proc in self._procs:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:  # a worker that died leaves a broken pipe behind
                    pass
        for proc in self._procs:
            try:
                proc.wait(JOIN_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._procs = []

    def __enter__(self) -> "ParsePool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    """``python -m mailer.inbox.parse_pool MAX_BYTES [OWN_ADDRESS ...]``: one worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the poller's to handle
    serve(int(sys.argv[1]), tuple(sys.argv[2:]), sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
