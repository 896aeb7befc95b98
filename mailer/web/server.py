"""Serving the WSGI app with waitress, a production server, in a thread that can be stopped.

``mailer serve``, the demo and the tests all use ``ServerThread``. Behind a reverse proxy
(``[web] trusted_proxy``) waitress takes the client's address and scheme from the proxy's headers
and drops those headers from anyone else, so rate limits count real clients.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from waitress import create_server, wasyncore

from ..config import WebConfig

LOOP_TIMEOUT = 0.25   # seconds between looks at the stop flag while the server is idle


def server_options(web: WebConfig) -> dict[str, Any]:
    """waitress settings from ``[web]``: threads, connection limit, trusted proxy."""
    options: dict[str, Any] = {"threads": web.threads, "connection_limit": web.connection_limit,
                               "ident": "mailer", "clear_untrusted_proxy_headers": True}
    if web.trusted_proxy:
        options.update(trusted_proxy=web.trusted_proxy, trusted_proxy_count=web.trusted_proxy_count,
                       trusted_proxy_headers=web.proxy_headers)
    return options


class ServerThread:
    """``with ServerThread(app) as srv: srv.url`` - waitress on ``host``:``port`` (0 picks a free port).

    Raises OSError when the address cannot be bound.
    """

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0,
                 web: WebConfig | None = None) -> None:
        options = server_options(web or WebConfig())
        self._map: dict[int, Any] = {}
        self.server = create_server(app, map=self._map, host=host, port=port, **options)
        self.host = host
        # One listening socket gives a server with effective_port; a name such as "localhost" that
        # resolves to several addresses gives one that lists them in effective_listen.
        bound = getattr(self.server, "effective_port", None)
        self.port: int = int(bound if bound is not None else self.server.effective_listen[0][1])
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="web", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _serve(self) -> None:
        # waitress's own run() loops until every connection is gone; this loop also ends on stop().
        while not self._stopping.is_set():
            wasyncore.loop(timeout=LOOP_TIMEOUT, map=self._map, count=1)
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        wasyncore.close_all(self._map)

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop listening, close every connection, wait for requests in progress (up to about
        ``timeout`` s); True when the server thread has ended."""
        self._stopping.set()
        if self._thread.is_alive():
            wake = getattr(self.server, "pull_trigger", None)
            if wake is not None:
                wake()  # wake the loop now rather than after LOOP_TIMEOUT
            self._thread.join(timeout)
        else:
            wasyncore.close_all(self._map)
        return not self._thread.is_alive()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
