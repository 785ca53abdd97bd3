"""After checkout, one drain credits the points of every placed order at once (the
same number of queries whatever the number of orders) and queues one receipt row per
order, which the same drain sends one per transaction: each order once, with the
rules of a single order."""

from datetime import timedelta
from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from customers.models import Customer, CustomerEvent, LoyaltyTransaction
from customers.services.merge import merge_customers
from omnistore.core import outbox
from omnistore.core.models import OutboxMessage, WebhookEndpoint
from orders.models import Order
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order
from orders.services.loyalty import award_points_for_orders
from orders.services.payments import PaymentRequest, refund_payment
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, pickup_order, shop, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(name="Torino Centro")


@pytest.fixture
def item(store):
    return stocked(store, 100, price="30.00")


def place(store, item, email="ada@example.com", quantity=1) -> Order:
    return pickup_order(store=store, lines=[(item, quantity)], email=email)


def snapshot() -> tuple:
    """Everything a drain of placed orders writes or sends."""
    return (
        sorted(Customer.objects.values_list("pk", "points_balance")),
        sorted(Order.objects.values_list("pk", "loyalty_points")),
        LoyaltyTransaction.objects.count(),
        CustomerEvent.objects.filter(
            kind__in=["points_earned", "message_sent"]
        ).count(),
        len(mail.outbox),
    )


def test_one_drain_credits_each_order_once_and_sends_each_receipt_once(store, item):
    orders = [
        place(store, item, email="ada@example.com", quantity=1),
        place(store, item, email="bo@example.com", quantity=2),
        place(store, item, email="ada@example.com", quantity=3),  # Ada again
    ]
    assert OutboxMessage.objects.filter(topic="orders.placed").count() == 3

    assert outbox.drain() == 3 + 3  # the placed orders, then their receipts

    for order, points in zip(orders, [30, 60, 90], strict=True):
        order.refresh_from_db()
        assert order.loyalty_points == points
        txn = LoyaltyTransaction.objects.get(reference_id=order.number)
        assert (txn.customer_id, txn.points, txn.kind) == (
            order.customer_id,
            points,
            "earn",
        )
        assert txn.reason == f"Order {order.number}"
    ada, bo = (
        Customer.objects.get(email=e) for e in ["ada@example.com", "bo@example.com"]
    )
    assert ada.points_balance == 30 + 90  # two orders of one customer add up
    assert bo.points_balance == 60
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f"Your order {order.number}" for order in orders
    )
    assert {m.to[0] for m in mail.outbox} == {"ada@example.com", "bo@example.com"}
    assert "Torino Centro" in mail.outbox[0].body

    before = snapshot()
    assert deliver_outbox() == 0  # nothing left: a second drain changes nothing
    assert award_points_for_orders(orders=orders) == [0, 0, 0]
    assert snapshot() == before


def test_timeline_events_of_a_batch_match_those_of_a_single_booking(store, item):
    orders = [place(store, item, email=f"c{n}@example.com") for n in range(2)]

    outbox.drain()

    for order in orders:
        earned = CustomerEvent.objects.get(
            kind="points_earned", reference_id=order.number
        )
        assert (
            earned.customer_id,
            earned.summary,
            earned.data,
            earned.channel,
            earned.reference_type,
            earned.actor_id,
            earned.location_id,
        ) == (
            order.customer_id,
            f"+30 points: Order {order.number}",
            {"points": 30},
            "",
            "order",
            None,
            None,
        )
        sent = CustomerEvent.objects.get(kind="message_sent", reference_id=order.number)
        assert (
            sent.customer_id,
            sent.summary,
            sent.data,
            sent.channel,
            sent.reference_type,
        ) == (
            order.customer_id,
            f"Email sent: Your order {order.number}",
            {"template": "orders.receipt", "to": order.email},
            "email",
            "order",
        )
        assert timezone.now() - sent.occurred_at < timedelta(minutes=1)


def test_orders_that_are_cancelled_unpaid_or_anonymous_earn_nothing_in_a_batch(
    store, item
):
    cancelled = place(store, item, email="ada@example.com")
    refunded = place(store, item, email="bo@example.com")
    walk_in = place_order(
        lines=[LineRequest(item, 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        payments=[PaymentRequest(method="cash")],
    )
    paid = place(store, item, email="cy@example.com")
    cancel_order(order=cancelled, reason="Changed mind")
    payment = refunded.payments.get()
    refund_payment(
        payment=payment, amount=payment.amount, reason="Goodwill", reference="gw-1"
    )
    assert walk_in.customer is None

    deliver_outbox()

    for order in (cancelled, refunded, walk_in):
        order.refresh_from_db()
        assert not order.loyalty_points
        assert not LoyaltyTransaction.objects.filter(reference_id=order.number).exists()
    paid.refresh_from_db()
    assert paid.loyalty_points == 30
    assert Customer.objects.get(email="cy@example.com").points_balance == 30
    assert Customer.objects.get(email="ada@example.com").points_balance == 0
    assert Customer.objects.get(email="bo@example.com").points_balance == 0
    receipts = sorted(m.subject for m in mail.outbox if "Your order" in m.subject)
    # Every order with an address gets its receipt; the walk-in sale has none.
    assert receipts == sorted(
        f"Your order {o.number}" for o in (cancelled, refunded, paid)
    )


def test_points_of_a_merged_profile_go_to_the_survivor(store, item):
    first = place(store, item, email="ada@example.com")
    second = place(store, item, email="ada.l@example.com")
    survivor = Customer.objects.get(email="ada@example.com")
    other = Customer.objects.get(email="ada.l@example.com")
    merge_customers(survivor=survivor, other=other, actor=StaffFactory())

    deliver_outbox()

    survivor.refresh_from_db()
    other.refresh_from_db()
    assert survivor.points_balance == 60 and other.points_balance == 0
    assert set(
        LoyaltyTransaction.objects.filter(
            reference_id__in=[first.number, second.number]
        ).values_list("customer_id", flat=True)
    ) == {survivor.pk}


def test_an_unknown_order_in_the_batch_is_retried_alone_and_the_others_go_out(
    store, item
):
    good = place(store, item, email="ada@example.com")
    outbox.enqueue("orders.placed", {"order_id": 987654})
    later = place(store, item, email="bo@example.com")

    assert outbox.drain() == 2 + 2  # two placed orders and their receipts

    for order in (good, later):
        order.refresh_from_db()
        assert order.loyalty_points == 30
    assert len(mail.outbox) == 2
    bad = OutboxMessage.objects.get(topic="orders.placed", payload__order_id=987654)
    assert bad.processed_at is None and bad.attempts == 1
    assert "Order not found" in bad.last_error


def test_a_receipt_of_an_unknown_order_fails_alone_and_the_others_drained_with_it_go_out(
    store, item
):
    """The receipts of one drain are read together; when that read fails, each row
    reads its own order, so only the bad one waits."""
    ada = place(store, item, email="ada@example.com")
    bo = place(store, item, email="bo@example.com")
    assert outbox.drain() == 2 + 2
    mail.outbox.clear()
    for order in (ada, bo):
        outbox.enqueue(
            "orders.email", {"order_id": order.pk, "kind": "receipt"}, dedupe_key=None
        )
        if order is ada:
            outbox.enqueue("orders.email", {"order_id": 987654, "kind": "receipt"})

    assert outbox.drain() == 2

    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "bo@example.com"]
    bad = OutboxMessage.objects.get(processed_at__isnull=True)
    assert bad.payload == {"order_id": 987654, "kind": "receipt"}
    assert bad.attempts == 1 and "Order not found" in bad.last_error


class RefusingBackend(EmailBackend):
    """A mail server that refuses the addresses in ``refused``."""

    refused: set[str] = set()

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & self.refused:
                raise SMTPRecipientsRefused({message.to[0]: (550, b"mailbox full")})
        return super().send_messages(messages)


def test_when_the_mail_server_fails_only_unsent_receipts_are_retried(
    store, item, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.refused = {"cy@example.com"}
    orders = [
        place(store, item, email=f"{name}@example.com")
        for name in ("ada", "bo", "cy", "dee")
    ]

    assert outbox.drain() == 4 + 3  # four placed orders, three receipts

    assert [m.to[0] for m in mail.outbox] == [
        f"{name}@example.com" for name in ("ada", "bo", "dee")
    ]
    for order in orders:  # points are credited for all four all the same
        order.refresh_from_db()
        assert order.loyalty_points == 30
    [waiting] = OutboxMessage.objects.filter(processed_at__isnull=True)
    assert waiting.topic == "orders.email"
    assert waiting.payload == {"order_id": orders[2].pk, "kind": "receipt"}
    assert "mailbox full" in waiting.last_error
    # The refused receipt's timeline entry went back with its transaction.
    assert CustomerEvent.objects.filter(kind="message_sent").count() == 3

    RefusingBackend.refused = set()
    OutboxMessage.objects.filter(pk=waiting.pk).update(available_at=timezone.now())
    assert outbox.drain() == 1

    assert sorted(m.to[0] for m in mail.outbox) == [
        f"{name}@example.com" for name in ("ada", "bo", "cy", "dee")
    ]  # each receipt once
    assert CustomerEvent.objects.filter(kind="message_sent").count() == 4
    assert LoyaltyTransaction.objects.count() == 4
    assert sum(Customer.objects.values_list("points_balance", flat=True)) == 120


@pytest.mark.parametrize("subscribed", [False, True])
@pytest.mark.parametrize("count", [2, 12])
def test_a_drain_of_placed_orders_costs_a_fixed_batch_and_a_fixed_cost_per_receipt(
    store, item, count, subscribed, django_assert_max_num_queries
):
    """The points of a batch cost the same queries for any size, and so does reading
    what the receipts show; each receipt then leaves in a short transaction of its
    own (its send last), so a worker lost mid-drain sends no receipt twice: per order,
    its receipt row queued, then a timeline entry and the row marked, in a savepoint
    here (a transaction in the worker). A webhook subscriber adds no outbox row: the
    drain starts by counting the due deliveries once, subscriber or not. (The batch reads its
    customers' loyalty tiers in one aggregate query and learns their sizes again.)"""
    if subscribed:
        WebhookEndpoint.objects.create(
            name="erp", url="https://erp.example.com/hook", secret="s" * 32
        )
    orders = []
    for n in range(count):
        orders.append(place(store, item, email=f"c{n % 5}@example.com"))
    assert OutboxMessage.objects.count() == count  # orders.placed, nothing more

    with django_assert_max_num_queries(45 + 5 * count):
        assert outbox.drain() == 2 * count

    assert len(mail.outbox) == count
    assert sum(Customer.objects.values_list("points_balance", flat=True)) == 30 * count
    assert all(
        o.loyalty_points == 30
        for o in Order.objects.filter(pk__in=[order.pk for order in orders])
    )
