"""Celery tasks and outbox handlers of the orders app: thin, retry-safe, ids not objects."""

from celery import shared_task

from omnistore.core import outbox
from orders.services import loyalty, pickups

from .emails import deliver_order_emails


@outbox.batch_handler("orders.placed")
def after_orders_placed(payloads: list[dict]) -> list[outbox.Retry | None]:
    """Points for the paid orders, then their receipts, in one savepoint. Receipts
    leave last, so when the mail server fails only the unsent ones are retried (their
    points stay credited; crediting again changes nothing)."""
    orders = [payload["order_id"] for payload in payloads]
    loyalty.award_points_for_orders(orders=orders)
    return deliver_order_emails([{"order_id": pk, "kind": "receipt"} for pk in orders])


@shared_task(name="orders.tasks.send_pickup_reminders", ignore_result=True)
def send_pickup_reminders() -> int:
    return len(pickups.send_pickup_reminders())


@shared_task(name="orders.tasks.expire_uncollected_pickups", ignore_result=True)
def expire_uncollected_pickups() -> int:
    return len(pickups.expire_uncollected_pickups())
