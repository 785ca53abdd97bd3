"""The load generator: HTTP requests written on the socket, and client threads run
side by side until they stop by themselves."""

from __future__ import annotations

import json
import re
import socket
import threading
import time


def request(port, method, path, body=None, headers=None):
    """One HTTP/1.1 request on a new connection, as a browser's fetch would make it;
    status 0 when no answer came within 30 s (the client goes on with the next).

    Written on the socket rather than through ``http.client`` (whose header parsing
    costs the load generator, on the same two cores as the server, about three times
    as much CPU); gunicorn's sync workers close the connection after each response.
    """
    payload = json.dumps(body).encode() if body is not None else b""
    head = "".join(
        [
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n",
            "Content-Type: application/json\r\nAccept: application/json\r\n",
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n",
            *(f"{name}: {value}\r\n" for name, value in (headers or {}).items()),
            "\r\n",
        ]
    )
    try:
        return _exchange(port, head.encode() + payload)
    except OSError:  # timed out or refused: counted as a failure, not a dead client
        return 0, b""


def _exchange(port, data: bytes):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        response = b""
        while b"\r\n\r\n" not in response:
            data = sock.recv(65536)
            if not data:
                break
            response += data
        header, _, raw = response.partition(b"\r\n\r\n")
        lowered = header.lower()
        if b"transfer-encoding: chunked" in lowered:  # not sent by Django's JSON
            raise RuntimeError("chunked responses are not read here")
        found = re.search(rb"\r\ncontent-length: *(\d+)", lowered)
        length = int(found.group(1)) if found else None
        # As a browser does: the body read to its length, the socket closed (without
        # a length, read until the server closes)
        while (length is None or len(raw) < length) and (data := sock.recv(65536)):
            raw += data
    return int(header.split(b" ", 2)[1]), raw


def failure(status: int, raw: bytes) -> int | str:
    """How a failed answer is counted: its status, with the API's error code when
    the body names one (``503 busy``, ``409 insufficient_stock``)."""
    try:
        code = json.loads(raw).get("code")
    except (ValueError, AttributeError):
        code = None
    return f"{status} {code}" if isinstance(code, str) and code else status


def run_threads(target, count: int) -> float:
    """Seconds taken by ``count`` threads running ``target(i)`` side by side."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started
