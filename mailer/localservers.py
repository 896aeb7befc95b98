"""Real SMTP (aiosmtpd) and IMAP (pymap) servers, in-process on loopback.

Used by ``mailer demo`` and by the tests: nothing here is a mock. The SMTP server keeps every
message it accepts; the IMAP server holds a mailbox in memory (pymap's dict backend).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class CollectingHandler:
    """aiosmtpd handler that keeps what it accepts; ``rcpt_hook`` may refuse a recipient."""

    messages: list[ReceivedMessage] = field(default_factory=list)
    rcpt_hook: Any = None  # callable(address) -> None | "550 5.1.1 ..." reply
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]) -> str:  # noqa: N802
        if self.rcpt_hook is not None:
            answer = self.rcpt_hook(address)
            if answer:
                return str(answer)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8")
        with self.lock:
            self.messages.append(ReceivedMessage(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(data)))
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """aiosmtpd on 127.0.0.1; ``with LocalSmtpServer() as smtp: smtp.port, smtp.messages``."""

    def __init__(self, port: int | None = None, handler: CollectingHandler | None = None) -> None:
        self.handler = handler or CollectingHandler()
        self.port = port or free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port,
            # Newsletters are large; keep aiosmtpd's limit well above them.
            data_size_limit=50 * 1024 * 1024, decode_data=False,
        )

    @property
    def messages(self) -> list[ReceivedMessage]:
        return self.handler.messages

    def start(self) -> "LocalSmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> "LocalSmtpServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalImapServer:
    """pymap's in-memory IMAP server in a background thread on 127.0.0.1.

    ``LocalImapServer(user="demouser", password="demopass")``; an empty INBOX (plus Sent, Trash).
    """

    def __init__(self, port: int | None = None, user: str = "demouser", password: str = "demopass") -> None:
        self.port = port or free_port()
        self.user = user
        self.password = password
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _args(self) -> argparse.Namespace:
        from pymap.backend import backends
        from pymap.imap import IMAPService

        parser = argparse.ArgumentParser()
        parser.add_argument("--debug", action="store_true")
        parser.set_defaults(skip_services=[], passlib_cfg=None, set_uid=None, set_gid=None,
                            logging_cfg=None, pid_file=None)
        subparsers = parser.add_subparsers(dest="backend", required=True)
        backend_type = backends["dict"]
        sub = backend_type.add_subparser("dict", subparsers)
        sub.set_defaults(backend_type=backend_type)
        IMAPService.add_arguments(parser)
        return parser.parse_args([
            "--host", "127.0.0.1", "--port", str(self.port), "--no-tls",
            "dict", "--demo-user", self.user, "--demo-password", self.password,
        ])

    async def _serve(self) -> None:
        from pymap.imap import IMAPService

        args = self._args()
        backend, config = await args.backend_type.init(args)
        config.apply_context()
        self._stop = asyncio.Event()
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await IMAPService(backend, config).start(stack)
            self._ready.set()
            await self._stop.wait()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    def start(self) -> "LocalImapServer":
        self._thread = threading.Thread(target=self._run, name="pymap", daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("pymap did not start within 15 s")
        if self._error is not None:
            raise RuntimeError(f"pymap failed to start: {self._error}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "LocalImapServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
