"""Serve a WSGI app on a real socket in a background thread (tests) or the foreground (command)."""

from __future__ import annotations

import logging
import threading

from werkzeug.serving import make_server


class ServerThread:
    """`with ServerThread(app) as server: server.url` — a real HTTP server on a free port."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = make_server(host, port, app, threaded=True)
        self.host, self.port = host, self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"sandbox:{self.port}", daemon=True)

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def quiet_werkzeug() -> None:
    """Per-request access lines drown the worker's log; keep warnings only."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
