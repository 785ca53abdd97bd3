"""What both benchmarks share: the repository root, free loopback ports, percentiles
and the PASS/MISS verdict printed against each target."""

from __future__ import annotations

import socket
import time
from pathlib import Path

# The scripts run from bench/ (Python puts that folder first on sys.path); they add the
# repository root so the project's apps import.
ROOT = Path(__file__).resolve().parent.parent


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, attempts: int) -> bool:
    """Whether something listens on the loopback port within ``attempts`` tries."""
    for _ in range(attempts):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def pct(values, q) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return values[index] * 1000
