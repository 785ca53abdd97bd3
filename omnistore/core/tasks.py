"""Celery tasks of the core, found by autodiscovery: the outbox drain, defined beside
the outbox it drains so that queuing it after a commit imports nothing above it, and
the webhook deliveries (queue ``webhooks``)."""

from .outbox import drain_outbox
from .webhooks import deliver_webhooks

__all__ = ["deliver_webhooks", "drain_outbox"]
