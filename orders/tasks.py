"""Celery tasks and outbox handlers of the orders app: thin, retry-safe, ids not objects."""

from celery import shared_task

from omnistore.core import outbox
from orders.models import Order
from orders.services import (
    credit,
    delivery,
    egift,
    giftcards,
    loyalty,
    payment_release,
    pickups,
    sizes,
)

from .emails import enqueue_receipts


@outbox.batch_handler("orders.placed")
def after_orders_placed(payloads: list[dict]) -> None:
    """Points for the paid orders and one receipt row per order, in one transaction
    that only writes: each receipt then leaves in a transaction of its own, so a
    worker killed mid-batch sends no receipt twice (crediting again changes
    nothing)."""
    orders = [payload["order_id"] for payload in payloads]
    loyalty.award_points_for_orders(orders=orders)
    sizes.relearn_sizes(
        customer_ids=Order.objects.filter(pk__in=orders, customer__isnull=False)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    enqueue_receipts(order_ids=orders)


@outbox.batch_handler(sizes.TOPIC)
def relearn_sizes(payloads: list[dict]) -> None:
    """Sizes learned again after returns came back or profiles were merged."""
    sizes.relearn_sizes(customer_ids=[payload["customer_id"] for payload in payloads])


@outbox.batch_handler(egift.E_GIFT_DUE_TOPIC)
def send_e_gift_cards_bought_for_today(payloads: list[dict]) -> None:
    """E-gift cards bought for today, sent once their purchase committed; a card the
    sweep sent already is skipped (it has its ``sent_at``)."""
    egift.send_due_e_gift_cards(card_ids=[payload["card_id"] for payload in payloads])


@shared_task(name="orders.tasks.send_pickup_reminders", ignore_result=True)
def send_pickup_reminders() -> int:
    return len(pickups.send_pickup_reminders())


@shared_task(name="orders.tasks.expire_uncollected_pickups", ignore_result=True)
def expire_uncollected_pickups() -> int:
    return len(pickups.expire_uncollected_pickups())


@shared_task(name="orders.tasks.send_e_gift_cards", ignore_result=True)
def send_e_gift_cards() -> int:
    return len(egift.send_due_e_gift_cards())


@shared_task(name="orders.tasks.expire_gift_cards", ignore_result=True)
def expire_gift_cards() -> int:
    return giftcards.expire_gift_cards()


@shared_task(name="orders.tasks.expire_store_credit", ignore_result=True)
def expire_store_credit() -> int:
    return credit.expire_store_credit()


@shared_task(name="orders.tasks.presume_deliveries", ignore_result=True)
def presume_deliveries() -> int:
    return len(delivery.presume_delivered())


@shared_task(name="orders.tasks.release_unclaimed_payments", ignore_result=True)
def release_unclaimed_payments() -> int:
    return len(payment_release.release_unclaimed_payments())
