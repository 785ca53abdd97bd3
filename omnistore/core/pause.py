"""A pause after a failure: while it runs, calls to a service that just failed are
skipped instead of each waiting for its own timeout.

A Redis that does not answer costs the first caller its socket timeout; the callers
after it, in this process, skip it for ``seconds`` (a circuit breaker), then one call
tries again. Each process keeps its own pauses.
"""

from __future__ import annotations

import time


class Pause:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until = 0.0

    @property
    def running(self) -> bool:
        return time.monotonic() < self._until

    def start(self) -> bool:
        """Start (or extend) the pause; True when none was running, so the caller
        reports the failure once per pause, not once per call."""
        was_running = self.running
        self._until = time.monotonic() + self.seconds
        return not was_running


_by_key: dict[str, Pause] = {}


def pause_for(key: str, seconds: float) -> Pause:
    """The pause of one service (named by its URL), shared by every caller in this
    process."""
    return _by_key.setdefault(key, Pause(seconds))
