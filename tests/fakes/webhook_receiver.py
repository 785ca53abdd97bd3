"""A webhook subscriber on 127.0.0.1 for the fault tests: it records every POST
(its ``Idempotency-Key`` and delivery id) and can be slow to answer."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self, *, slow_first: int = 0, delay: float = 0.0):
        self.slow_first = slow_first  # how many requests take ``delay`` seconds
        self.delay = delay
        self.lock = threading.Lock()
        self.keys: list[str] = []
        self.last_answer = time.monotonic()  # when it last answered a POST
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.receiver = self
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def quiet_for(self) -> float:
        """Seconds since it last answered a POST."""
        with self.lock:
            return time.monotonic() - self.last_answer

    def per_key(self) -> Counter:
        with self.lock:
            return Counter(self.keys)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        receiver = self.server.receiver
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with receiver.lock:
            slow = receiver.slow_first > 0
            receiver.slow_first -= 1
        if slow:
            time.sleep(receiver.delay)
        with receiver.lock:
            receiver.keys.append(self.headers.get("Idempotency-Key", ""))
            receiver.last_answer = time.monotonic()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass
