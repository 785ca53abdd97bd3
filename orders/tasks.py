"""Celery tasks and outbox handlers of the orders app: thin, retry-safe, ids not objects."""

from celery import shared_task

from omnistore.core import outbox

from . import services
from .emails import deliver_order_email


@outbox.handler("orders.placed")
def after_order_placed(payload: dict) -> None:
    """Points for the paid order, then the receipt. One handler, one transaction: when
    sending fails the whole message is retried, and crediting points is idempotent."""
    services.award_order_points(order=payload["order_id"])
    deliver_order_email({"order_id": payload["order_id"], "kind": "receipt"})


@shared_task(name="orders.tasks.send_pickup_reminders", ignore_result=True)
def send_pickup_reminders() -> int:
    return len(services.send_pickup_reminders())


@shared_task(name="orders.tasks.expire_uncollected_pickups", ignore_result=True)
def expire_uncollected_pickups() -> int:
    return len(services.expire_uncollected_pickups())
