"""Money on record, read-only, with who and when: the order's admin page lists its
till bookings and its refunds with the person who gave them, a payment's page its
history, and the customer's timeline says how each order was paid."""

from decimal import Decimal

import pytest

from customers.models import CustomerEvent
from omnistore.accounts.models import Role
from orders.models import PaymentMethod, PaymentStatus
from orders.services.refunds import return_at_counter
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(
        store=store, username="giulia", first_name="Giulia", last_name="Bianchi"
    )


@pytest.fixture
def admin(client):
    client.force_login(
        UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True)
    )
    return client


def cash_sale_returned(store, associate):
    till = open_counter_till(associate)
    item = stocked(store, 3, price="69.00")
    customer = make_customer(phone="+393331234567")
    order = counter_sale(
        store=store,
        lines=[(item, 1)],
        staff=associate,
        customer=customer,
        tenders=[(PaymentMethod.CASH, None)],
        till=TillBooking(till, Decimal("100")),
    )
    return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=store,
        actor=associate,
    )
    return order, customer


def test_the_order_page_shows_its_till_bookings_and_refunds_with_who(
    admin, store, associate
):
    order, _ = cash_sale_returned(store, associate)

    page = admin.get(f"/admin/orders/order/{order.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    sale = "Sale 69.00 EUR · Cash · tendered 100.00 · change 31.00 · Till 1 · Giulia"
    assert sale in text
    assert "Refund -69.00 EUR · Cash · Till 1 · Giulia Bianchi" in text
    assert "69.00 EUR to Cash" in text and "· Giulia Bianchi ·" in text
    assert 'name="till_history"' not in text  # shown, not editable


def test_a_payments_page_shows_its_history_read_only(admin, store, associate):
    order, _ = cash_sale_returned(store, associate)
    payment = order.payments.get()

    page = admin.get(f"/admin/orders/payment/{payment.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Refunded" in text and "Giulia Bianchi" in text
    assert payment.events.get().to_status == PaymentStatus.REFUNDED
    assert 'name="status"' not in text and 'name="events-0-amount"' not in text


def test_the_timeline_says_how_an_order_was_paid_and_refunded(store, associate):
    order, customer = cash_sale_returned(store, associate)
    events = {
        e.kind: e
        for e in CustomerEvent.objects.filter(customer=customer).select_related("actor")
    }
    placed = events["order_placed"]
    assert "; Cash 69.00 captured" in placed.summary
    assert placed.data["payments"] == [
        {"method": "cash", "amount": "69.00", "status": "captured"}
    ]
    refund = events["refund_issued"]
    assert refund.actor == associate and "69.00 EUR" in refund.summary
