"""Serving the Flask app: in a background thread (tests, demo) or in the foreground (serve)."""

from __future__ import annotations

import socket
import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


class ServerThread:
    """``with ServerThread(app) as srv: srv.url`` - a real HTTP server on 127.0.0.1."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        _check_bindable(host, port)
        self.server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self.host = host
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, name="web", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _check_bindable(host: str, port: int) -> None:
    """Raise OSError for a port we cannot listen on: werkzeug would print and exit the process instead."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
