"""Redis gone wrong for the tests: a server that accepts connections and never
answers, as a frozen Redis does (``SIGSTOP``), counting the connections made to it;
an address where nothing listens; the shared cache's settings pointed at either."""

from __future__ import annotations

import socket
import threading


class HungServer:
    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(50)
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.server.close()
        for connection in self.accepted:
            connection.close()


def free_port() -> int:
    """A loopback port nothing listens on (until something is started there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_redis_url() -> str:
    """A loopback address where nothing listens (connections are refused)."""
    return f"redis://127.0.0.1:{free_port()}/0"


def shared_cache(url: str, timeout: float = 0.2) -> dict:
    """``CACHES`` with the production backend at ``url``, short timeouts."""
    return {
        "default": {
            "BACKEND": "omnistore.core.cache.SharedRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "t",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }
