"""Celery beat's scheduler: an entry it has no record of runs at once.

Celery's own scheduler counts a new entry's first interval from the moment beat
starts. With a fresh schedule file (a new container, every deploy) the hourly pickup
expiry and reminders were pushed an hour out on every start, and never ran when beat
restarted more often than hourly. Every periodic task here is idempotent, so running
an entry early costs nothing; running it late lets pickups lapse unexpired.
"""

from __future__ import annotations

from datetime import timedelta

from celery.beat import PersistentScheduler


class Scheduler(PersistentScheduler):
    def merge_inplace(self, b):
        known = set(self.schedule)
        super().merge_inplace(b)
        for name, entry in self.schedule.items():
            if name not in known:
                entry.last_run_at = entry.default_now() - timedelta(days=365)
