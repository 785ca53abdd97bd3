"""What the staff pages say was paid for a pickup whose card is held at Stripe until
the handover: "Paid" is money taken, never a hold; a hold is shown apart, as are a
hold released and a hold that lapsed. A hold the desk finds lapsed is booked lapsed
(its event, the order's history) though the handover is refused, and the desk is
told what it can do: cancel the pickup and sell the items at the counter."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from omnistore.accounts.models import Role
from orders.models import (
    OrderStatus,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
)
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory, UserFactory
from tests.fakes.stripe_server import intent_event, signed
from tests.orders.conftest import WEBHOOK_SECRET
from tests.orders.factories import pickup_order, ready_order, shop, stocked
from tests.orders.test_api_payments_stripe import post_webhook

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def store():
    return shop()


@pytest.fixture
def associate(client, store):
    """An associate of the pickup shop, signed in."""
    user = StaffFactory(store=store, role=Role.ASSOCIATE)
    client.force_login(user)
    return user


def held_pickup(fake, store, *, ready=True):
    """A pickup of 65.00 EUR at ``store``, its card held at Stripe."""
    item = stocked(store, 3, price="65.00")
    intent = fake.intent(6500)
    payments = [PaymentRequest(method="card_online", token=intent["id"])]
    place = ready_order if ready else pickup_order
    order = place(store=store, lines=[(item, 1)], payments=payments)
    assert order.payments.get().status == PaymentStatus.AUTHORISED
    return order, intent, item


def order_page(client, order) -> str:
    response = client.get(reverse("staff:order_detail", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def desk_page(client, order) -> str:
    response = client.get(reverse("staff:pickup_collect", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    """The page's words, tags and runs of spaces left out."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def desk_paid(html: str) -> str:
    """The desk's "Paid" card, as read."""
    card = re.search(r'data-testid="paid">(.*?)</div>\s*</div>', html, re.S)
    return text(card.group(1))


def test_a_held_card_is_not_paid_yet_on_either_page(client, associate, fake_stripe):
    order, _, _ = held_pickup(fake_stripe, associate.store)

    for page in (order_page(client, order), desk_page(client, order)):
        said = text(page)
        assert "Card hold 65.00 EUR (taken at pickup)" in said
        assert "Paid 65.00" not in said
    assert "Paid 0.00 EUR" in text(order_page(client, order))
    assert desk_paid(desk_page(client, order)).startswith("Paid 0.00 EUR of 65.00")


def test_a_pickup_cancelled_with_its_hold_released_shows_nothing_paid(
    client, associate, fake_stripe
):
    """The customer cancelled: the hold was let go, nothing was charged."""
    order, intent, _ = held_pickup(fake_stripe, associate.store, ready=False)
    cancel_order(order=order, reason="The customer changed their mind")
    assert fake_stripe.intents[intent["id"]]["status"] == "canceled"

    said = text(order_page(client, order))

    assert "Paid 0.00 EUR" in said
    assert "Card hold released 65.00 EUR: nothing charged" in said
    assert "Paid 65.00" not in said and "refunded" not in said


def test_a_hold_captured_in_part_shows_what_was_taken_on_both_pages(
    client, associate, fake_stripe
):
    """40.00 of the 65.00 held was captured at Stripe and booked by its webhook:
    paid is 40.00, the 25.00 Stripe let go shows as a lapsed hold, and both pages
    lead to cancelling instead of handing over."""
    order, intent, _ = held_pickup(fake_stripe, associate.store)
    taken = fake_stripe.capture(intent["id"], 4000)
    event = intent_event("payment_intent.succeeded", taken)
    assert post_webhook(*signed(event, WEBHOOK_SECRET)).status_code == 200

    page = order_page(client, order)
    said = text(page)
    assert "Paid 40.00 EUR" in said and "Paid 65.00" not in said
    assert "Card hold lapsed 25.00 EUR never taken" in said
    assert 'data-testid="hold-lapsed"' in page and 'href="#cancel"' in page

    desk = desk_page(client, order)
    assert desk_paid(desk).startswith("Paid 40.00 EUR of 65.00")
    assert "Card hold lapsed 25.00 EUR never taken" in desk_paid(desk)
    assert 'data-testid="hold-lapsed"' in desk
    assert "the 40.00 EUR taken is refunded" in text(desk)
    assert 'data-testid="hand-over"' not in desk


def test_a_hold_found_lapsed_at_the_desk_is_booked_and_the_desk_says_what_to_do(
    client, associate, fake_stripe, store
):
    """Stripe dropped the hold and its webhook has not come: the handover is refused,
    yet the payment reads lapsed, with its event and a line in the order's history
    naming the associate and the shop; the desk says to cancel the pickup and sell
    the items at the counter, and the order page offers the cancel."""
    order, intent, item = held_pickup(fake_stripe, store)
    fake_stripe.expire(intent["id"])
    url = reverse("staff:pickup_collect", args=[order.number])

    refused = client.post(url, {"code": order.pickup_code}, **HTMX)

    assert refused.status_code == 422
    page = refused.content.decode()
    said = text(page)
    assert "Do not hand the goods over: the card hold lapsed." in said
    assert "Cancel the pickup on the order's page" in said
    assert "sell the items to the customer at the counter" in said
    assert f'href="{reverse("staff:order_detail", args=[order.number])}#cancel"' in page
    assert f'href="{reverse("staff:sale")}"' in page
    assert "take the payment again" not in said
    order.refresh_from_db()
    assert order.status == OrderStatus.READY  # the goods stay
    level = StockLevel.objects.get(variant=item, location=store)
    assert (level.on_hand, level.reserved) == (3, 1)
    payment = order.payments.get()
    assert payment.status == PaymentStatus.LAPSED
    event = PaymentEvent.objects.get(payment=payment)
    assert (event.kind, event.from_status, event.to_status, event.actor) == (
        PaymentEventKind.LAPSED,
        PaymentStatus.AUTHORISED,
        PaymentStatus.LAPSED,
        associate,
    )
    line = order.history.last()
    assert (line.from_status, line.to_status) == (OrderStatus.READY, OrderStatus.READY)
    assert (line.actor, line.location) == (associate, store)
    assert "65.00 EUR found lapsed at the provider" in line.note

    # Tried again, the desk refuses without asking Stripe, and books nothing twice.
    captures = len(fake_stripe.calls("POST", "/v1/payment_intents/"))
    again = client.post(url, {"code": order.pickup_code}, **HTMX)
    assert (
        again.status_code == 422
        and 'data-testid="hold-lapsed"' in again.content.decode()
    )
    assert len(fake_stripe.calls("POST", "/v1/payment_intents/")) == captures
    assert PaymentEvent.objects.filter(payment=payment).count() == 1

    detail = order_page(client, order)
    assert 'data-testid="hold-lapsed"' in detail and 'id="cancel"' in detail
    assert f'href="{url}"' not in detail  # no "Hand over" offered
    assert "Paid 0.00 EUR" in text(detail)
    cancelled = client.post(
        reverse("staff:order_cancel", args=[order.number]),
        {"reason": "Card hold lapsed: sold at the counter"},
    )
    assert cancelled.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert StockLevel.objects.get(variant=item, location=store).reserved == 0


def test_the_csv_export_counts_only_money_taken_as_paid(client, fake_stripe, store):
    held, _, _ = held_pickup(fake_stripe, store)
    short, intent, _ = held_pickup(fake_stripe, store)
    taken = fake_stripe.capture(intent["id"], 4000)
    event = intent_event("payment_intent.succeeded", taken)
    assert post_webhook(*signed(event, WEBHOOK_SECRET)).status_code == 200
    client.force_login(
        UserFactory(role=Role.HQ, is_staff=True, is_superuser=True, username="hq")
    )

    response = client.post(
        "/admin/orders/order/",
        {"action": "export_csv", "_selected_action": [held.pk, short.pk]},
    )

    body = b"".join(response.streaming_content).decode()
    rows = {row["number"]: row for row in csv.DictReader(io.StringIO(body))}
    assert Decimal(rows[held.number]["paid"]) == Decimal("0.00")
    assert Decimal(rows[short.number]["paid"]) == Decimal("40.00")
    assert rows[short.number]["total"] == "65.00"
