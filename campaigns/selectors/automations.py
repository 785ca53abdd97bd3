"""What triggers the automations that follow carts, orders and lapsed customers."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    CharField,
    Exists,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Concat

from campaigns.models import CampaignKind, Message, MessageStatus
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
from orders.selectors.reports import without_gift_cards


def abandoned_carts(*, after: timedelta, now: datetime, max_age: timedelta):
    """Open carts of live customers, with lines of items still sold (a cart of retired
    items could not be bought), untouched since ``after`` ago (and not older than
    ``max_age`` more), whose customer has not bought since (an order that sold
    goods, ``without_gift_cards``: a gift card bought meanwhile is not the cart)."""
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
                without_gift_cards(
                    Order.objects.filter(
                        customer=OuterRef("customer"),
                        created_at__gte=OuterRef("updated_at"),
                    )
                )
            )
        )
    )


# A customer hears of at most one of their orders in this time (post-purchase).
FOLLOW_UP_GAP = timedelta(days=1)


def paid_orders(*, after: timedelta, now: datetime, max_age: timedelta):
    """Paid, not cancelled orders of live customers placed ``after`` ago (not older
    than ``max_age`` more) that sold goods (``without_gift_cards``: an order of gift
    cards alone bought nothing to follow up).

    One follow-up a day: of a customer's orders due, only the latest, and none while
    a follow-up about another order went or waits to go to them in the last
    ``FOLLOW_UP_GAP`` (four orders in a minute are one message; an order due the
    same day as another one's message waits a day)."""
    cutoff = now - after
    paid = without_gift_cards(
        Order.objects.filter(
            customer__isnull=False,
            customer__merged_into__isnull=True,
            customer__is_anonymised=False,
            created_at__lte=cutoff,
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
    later = paid.filter(customer_id=OuterRef("customer_id")).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    about_another = Message.objects.filter(
        campaign__kind=CampaignKind.POST_PURCHASE,
        customer_id=OuterRef("customer_id"),
        created_at__gt=now - FOLLOW_UP_GAP,
        status__in=[MessageStatus.QUEUED, MessageStatus.SENT],
    ).exclude(
        trigger_key=Concat(
            Value("order:"),
            Cast(OuterRef("pk"), output_field=CharField()),
            output_field=CharField(),
        )
    )
    return (
        paid.filter(created_at__gt=cutoff - max_age)
        .exclude(Exists(later))
        .exclude(Exists(about_another))
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
