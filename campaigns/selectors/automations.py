"""What triggers the automations that follow carts, orders and lapsed customers."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    Exists,
    OuterRef,
    Subquery,
)

from campaigns.segments.compiler import live_customers
from orders.models import (
    Cart,
    CartLine,
    CartStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
)
from orders.selectors.carts import LINE_ON_SALE


def abandoned_carts(*, after: timedelta, now: datetime, max_age: timedelta):
    """Open carts of live customers, with lines of items still sold (a cart of retired
    items could not be bought), untouched since ``after`` ago (and not older than
    ``max_age`` more), whose customer has not bought since."""
    cutoff = now - after
    return (
        Cart.objects.filter(
            status=CartStatus.OPEN,
            customer__isnull=False,
            customer__merged_into__isnull=True,
            customer__is_anonymised=False,
            updated_at__lte=cutoff,
            updated_at__gt=cutoff - max_age,
        )
        .filter(Exists(CartLine.objects.filter(LINE_ON_SALE, cart=OuterRef("pk"))))
        .exclude(
            Exists(
                Order.objects.filter(
                    customer=OuterRef("customer"),
                    created_at__gte=OuterRef("updated_at"),
                )
            )
        )
    )


def paid_orders(*, after: timedelta, now: datetime, max_age: timedelta):
    """Paid, not cancelled orders of live customers placed ``after`` ago (not older
    than ``max_age`` more)."""
    cutoff = now - after
    return (
        Order.objects.filter(
            customer__isnull=False,
            customer__merged_into__isnull=True,
            customer__is_anonymised=False,
            created_at__lte=cutoff,
            created_at__gt=cutoff - max_age,
        )
        .exclude(status=OrderStatus.CANCELLED)
        .filter(
            Exists(
                Payment.objects.filter(
                    order=OuterRef("pk"),
                    status__in=[PaymentStatus.CAPTURED, PaymentStatus.AUTHORISED],
                )
            )
        )
    )


def lapsed_customers(*, after: timedelta, now: datetime):
    """Live customers who bought before but not in the last ``after``, annotated with
    their latest order's id (``last_order_id``): buying again makes a new trigger."""
    purchases = Order.objects.filter(customer=OuterRef("pk")).exclude(
        status=OrderStatus.CANCELLED
    )
    latest = purchases.order_by("-created_at", "-id").values("pk")[:1]
    return (
        live_customers()
        .filter(Exists(purchases))
        .exclude(Exists(purchases.filter(created_at__gt=now - after)))
        .annotate(last_order_id=Subquery(latest))
    )
