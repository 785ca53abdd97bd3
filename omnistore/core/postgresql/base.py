"""Django's PostgreSQL backend, checking a kept connection only after it sat unused.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before every request uses a kept
connection: a round trip per request, most of them on a connection the previous request
used a moment ago. Kept connections break after sitting idle (server or proxy idle
timeouts, a database restart during a quiet spell), so here the check runs only when
the connection's last request started ``HEALTH_CHECK_AFTER_IDLE`` seconds ago or more
(a key of the database settings; 0 checks every request, as Django does). A database
restarted while a process is busy fails that process's next request, which then
reconnects; storefront writes carry an ``Idempotency-Key`` and are safe to retry.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    last_request_at: float | None = None

    def close_if_health_check_failed(self):
        now = time.monotonic()
        idle = self.settings_dict.get("HEALTH_CHECK_AFTER_IDLE", 0)
        recent = self.last_request_at is not None and now - self.last_request_at < idle
        self.last_request_at = now
        if recent and self.connection is not None and not self.health_check_done:
            self.health_check_done = True  # used moments ago: taken as working
            return
        super().close_if_health_check_failed()
