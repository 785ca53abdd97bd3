"""Cash goes back from a shop's till, and the admin is no counter: an order still
holding cash it was paid is not cancelled there. Its cancel page refuses it, naming
the shop that sold it, and changes nothing; *Cancel selected orders* lists it as
left out, cancels the others and says which it left and why."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.core.exceptions import Conflict
from orders.models import (
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Refund,
    TillMovement,
)
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from tests.factories import LocationFactory, StaffFactory, UserFactory
from tests.orders.factories import deliver_outbox, delivery_order, pickup_order, stocked

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"
REFUSAL = (
    "Order {} was paid in cash at Milano Centro: the cash goes back from that "
    "shop's till, so it is cancelled from the order's page at that shop."
)


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro", ships_online_orders=True)


@pytest.fixture
def coat(milano):
    return stocked(milano, 10, price="59.90")


@pytest.fixture
def manager(client, milano):
    user = UserFactory(username="marco", role=Role.STORE_MANAGER, store=milano)
    client.force_login(user)
    return user


@pytest.fixture
def cash_sale(milano, coat):
    """59.90 in cash at Milano's counter, the coat to be delivered home; its
    confirmation already sent."""
    order = delivery_order(
        lines=[(coat, 1)],
        channel="store",
        placing_location=milano,
        staff=StaffFactory(store=milano),
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    deliver_outbox()
    mail.outbox.clear()
    return order


def notes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_untouched(order):
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert not order.history.filter(to_status=OrderStatus.CANCELLED).exists()
    payment = order.payments.get()
    assert (payment.status, payment.refunded_amount) == (
        PaymentStatus.CAPTURED,
        Decimal("0.00"),
    )
    assert not Refund.objects.filter(payment__order=order).exists()
    assert not TillMovement.objects.filter(order=order).exists()
    deliver_outbox()
    assert [m.subject for m in mail.outbox] == []


def test_the_cancel_page_refuses_a_cash_order_naming_its_shop(
    client, manager, cash_sale
):
    url = reverse("admin:orders_order_cancel", args=[cash_sale.pk])
    back = reverse("admin:orders_order_change", args=[cash_sale.pk])

    asked = client.get(url, follow=True)
    sent = client.post(url, {"reason": "Customer rang to cancel"}, follow=True)

    for response in (asked, sent):
        assert response.redirect_chain == [(back, 302)]
        assert notes(response) == [REFUSAL.format(cash_sale.number)]
    assert_untouched(cash_sale)


def test_cancel_selected_orders_leaves_the_cash_order_and_cancels_the_card_one(
    client, manager, milano, coat, cash_sale
):
    by_card = pickup_order(store=milano, lines=[(coat, 1)], email="bo@example.com")
    deliver_outbox()
    mail.outbox.clear()
    asked = {"action": "cancel_orders", "_selected_action": [cash_sale.pk, by_card.pk]}

    page = client.post(CHANGELIST, asked)

    html = page.content.decode()
    assert page.status_code == 200
    assert "Cancel 1 order?" in html and by_card.number in html
    left_out = html.split('data-testid="left-out"')[1].split("</div>")[0]
    assert cash_sale.number in left_out and "Milano Centro" in left_out
    assert by_card.number not in left_out

    done = client.post(
        CHANGELIST, {**asked, "confirm": "yes", "reason": "Supplier recall"}
    )

    assert done.status_code == 302
    assert notes(done) == [
        f"Not cancelled: {REFUSAL.format(cash_sale.number)}",
        f"Cancelled 1 order: {by_card.number}. Stock released and payments refunded.",
    ]
    by_card.refresh_from_db()
    assert by_card.status == OrderStatus.CANCELLED
    assert by_card.payments.get().status == PaymentStatus.REFUNDED
    deliver_outbox()
    assert [m.subject for m in mail.outbox] == [f"Order {by_card.number} is cancelled"]
    mail.outbox.clear()
    assert_untouched(cash_sale)


def test_away_from_every_counter_a_cash_order_is_refused_before_anything_moves(
    cash_sale,
):
    hq = UserFactory(username="elena", role=Role.HQ, is_staff=True)

    with pytest.raises(Conflict) as refused:
        cancel_order(order=cash_sale, actor=hq, reason="Customer rang to cancel")

    assert refused.value.code == "cash_needs_till"
    assert refused.value.message == REFUSAL.format(cash_sale.number)
    assert_untouched(cash_sale)
