"""Celery tasks of the core, found by autodiscovery: the outbox drain, defined beside
the outbox it drains so that queuing it after a commit imports nothing above it."""

from .outbox import drain_outbox

__all__ = ["drain_outbox"]
