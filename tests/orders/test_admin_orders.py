"""Managers' admin for orders: read-only pages, filters and search, the cancel action
through the service, the CSV export, read-only carts."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages

from customers.models import Channel
from inventory.models import PriceList, PriceListPrice, StockLevel
from omnistore.accounts.models import Role
from orders.models import Cart, Order, OrderStatus, PaymentStatus, RefundMethod
from orders.selectors.orders import order_by_id
from orders.services.carts import add_cart_lines, create_cart
from orders.services.checkout import place_order
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    stock,
)
from tests.orders.factories import pickup_order, ready_order, stocked
from tests.orders.factories import shop as make_shop
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def admin_client(client):
    manager = UserFactory(
        username="boss",
        first_name="Anna",
        last_name="Capo",
        role=Role.HQ,
        is_staff=True,
        is_superuser=True,
    )
    client.force_login(manager)
    client.manager = manager
    return client


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-BLU-M", price="40.00")
    stock(item, shop, 50)
    return item


def listed(response) -> set[str]:
    return {order.number for order in response.context["cl"].result_list}


def store_sale(shop, variant, quantity=1, **kwargs):
    return place_order(
        lines=[(variant, quantity)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=shop,
        payments=[PaymentRequest(method="cash")],
        **kwargs,
    )


# --- lists, search, filters ------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 12])
def test_changelist_costs_the_same_queries_for_any_length(
    admin_client, shop, shirt, django_assert_max_num_queries, count
):
    for index in range(count):
        customer = make_customer(email=f"c{index}@example.com", first_name=f"C{index}")
        pickup_order(store=shop, lines=[(shirt, 1)], customer=customer)
    admin_client.get(CHANGELIST)  # the process's first page fills Django's caches
    with django_assert_max_num_queries(5):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(listed(response)) == count


def test_guest_orders_are_listed_by_the_email_or_phone_given_at_checkout(
    admin_client, shop, shirt, django_assert_max_num_queries
):
    by_email = pickup_order(store=shop, lines=[(shirt, 1)], email="guest@example.com")
    by_phone = make_customer(phone="+393331234567", first_name="", last_name="")
    pickup_order(store=shop, lines=[(shirt, 1)], customer=by_phone)
    admin_client.get(CHANGELIST)
    with django_assert_max_num_queries(5):
        response = admin_client.get(CHANGELIST)
    html = response.content.decode()
    assert str(by_email.customer) == "guest@example.com"
    assert 'field-customer nowrap">guest@example.com</td>' in html
    assert 'field-customer nowrap">+393331234567</td>' in html
    assert "Customer " + by_email.customer.loyalty_number not in html


def test_search_by_number_email_phone_and_customer_name(admin_client, shop, shirt):
    pia = make_customer(
        email="pia@example.com",
        phone="333 123 4567",
        first_name="Pia",
        last_name="Moro",
    )
    wanted = pickup_order(store=shop, lines=[(shirt, 1)], customer=pia)
    other = pickup_order(store=shop, lines=[(shirt, 1)], email="ugo@example.com")
    for term in (wanted.number.lower(), "pia@example.com", "Moro", "+39 333 1234567"):
        assert listed(admin_client.get(CHANGELIST, {"q": term})) == {wanted.number}, (
            term
        )
    assert listed(admin_client.get(CHANGELIST, {"q": "ugo@example.com"})) == {
        other.number
    }


def test_filters_by_channel_status_shop_and_method(admin_client, shop, shirt):
    online = pickup_order(store=shop, lines=[(shirt, 1)])
    in_store = store_sale(shop, shirt)
    assert listed(admin_client.get(CHANGELIST, {"channel__exact": "store"})) == {
        in_store.number
    }
    assert listed(admin_client.get(CHANGELIST, {"status__exact": "placed"})) == {
        online.number
    }
    by_shop = admin_client.get(CHANGELIST, {"placing_location__id__exact": shop.pk})
    assert listed(by_shop) == {in_store.number}
    by_method = admin_client.get(CHANGELIST, {"fulfilment_method__exact": "pickup"})
    assert listed(by_method) == {online.number}


def test_an_order_is_shown_read_only_with_everything_inline(admin_client, shop, shirt):
    order = ready_order(store=shop, lines=[(shirt, 2)])
    cancel_order(order=order, reason="Shop closed")
    url = f"{CHANGELIST}{order.pk}/change/"
    response = admin_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    for heading in ("Order lines", "Fulfilments", "Payments", "Status history"):
        assert heading in html, heading
    assert "Shop closed" in html  # the refund reason and the history note
    assert 'name="_save"' not in html
    posted = admin_client.post(url, {"status": "placed", "total": "0"})
    assert posted.status_code == 403
    order.refresh_from_db()
    assert (order.status, order.total) == (OrderStatus.CANCELLED, Decimal("80.00"))
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


# --- cancel action --------------------------------------------------------------------


def test_cancel_action_asks_for_a_reason_first(admin_client, shop, shirt):
    order = pickup_order(store=shop, lines=[(shirt, 1)])
    response = admin_client.post(
        CHANGELIST, {"action": "cancel_orders", "_selected_action": [order.pk]}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert order.number in html and 'name="reason"' in html
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED


def test_cancel_action_cancels_through_the_service_and_reports_refusals(
    admin_client, shop, shirt
):
    first = pickup_order(store=shop, lines=[(shirt, 2)])
    second = ready_order(store=shop, lines=[(shirt, 1)])
    done = store_sale(shop, shirt)  # completed at the counter: cannot be cancelled
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "cancel_orders",
            "_selected_action": [first.pk, second.pk, done.pk],
            "confirm": "yes",
            "reason": "Supplier recall",
        },
        follow=True,
    )
    assert response.status_code == 200
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    refusals = [n for n in notes if n.startswith(f"{done.number}:")]
    assert len(refusals) == 1
    assert "cannot go from completed to cancelled" in refusals[0]
    assert any("Cancelled 2 orders" in n for n in notes), notes
    for order in (first, second):
        order = order_by_id(order.pk)
        assert order.status == OrderStatus.CANCELLED
        change = order.history.last()
        assert (change.to_status, change.actor, change.note) == (
            OrderStatus.CANCELLED,
            admin_client.manager,
            "Supplier recall",
        )
        assert order.payments.get().status == PaymentStatus.REFUNDED
    assert Order.objects.get(pk=done.pk).status == OrderStatus.COMPLETED
    assert StockLevel.objects.get(variant=shirt, location=shop).reserved == 0


def test_cancel_action_on_another_shops_orders_asks_nothing_and_changes_nothing(
    client, shop, shirt
):
    """Posted by hand with orders of a shop the manager does not run, the action
    draws no page asking to confirm the cancelling of none: back to the list, told
    why; confirmed all the same, it cancels nothing."""
    roma = LocationFactory(code="RM01", name="Roma Termini")
    stock(shirt, roma, 5)
    theirs = pickup_order(store=roma, lines=[(shirt, 1)])
    manager = UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    client.force_login(manager)
    asked = {
        "action": "cancel_orders",
        "_selected_action": [theirs.pk],
        "index": 0,
        "select_across": 0,
    }

    response = client.post(CHANGELIST, asked)

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    notes = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert notes == [
        (
            "warning",
            "None of the selected orders is in your shops. No items have been changed.",
        )
    ]
    confirmed = client.post(
        CHANGELIST, {**asked, "confirm": "yes", "reason": "Supplier recall"}
    )
    assert confirmed.status_code == 302
    theirs = order_by_id(theirs.pk)
    assert theirs.status == OrderStatus.PLACED
    assert not theirs.history.filter(to_status=OrderStatus.CANCELLED).exists()


# --- CSV export -----------------------------------------------------------------------


def _export(client, orders):
    response = client.post(
        CHANGELIST,
        {"action": "export_csv", "_selected_action": [o.pk for o in orders]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_export_has_one_row_per_order_with_money_and_units(
    admin_client, shop, shirt
):
    pia = make_customer(email="pia@example.com", first_name="Pia", last_name="Moro")
    placed = pickup_order(store=shop, lines=[(shirt, 3)], customer=pia)
    sale = store_sale(shop, shirt, 2)
    cancelled = pickup_order(store=shop, lines=[(shirt, 1)], email="=cmd@example.com")
    cancel_order(order=cancelled, reason="test")
    rows = {
        row["number"]: row for row in _export(admin_client, [placed, sale, cancelled])
    }
    assert set(rows) == {placed.number, sale.number, cancelled.number}
    assert rows[placed.number]["customer_name"] == "Pia Moro"
    assert rows[placed.number]["units"] == "3"
    assert rows[placed.number]["total"] == "120.00"
    assert rows[placed.number]["paid"] == "120.00"
    assert rows[sale.number]["channel"] == "store"
    assert rows[sale.number]["placing_shop"] == "MI01"
    assert rows[sale.number]["fulfilment"] == "carry_out"
    assert rows[cancelled.number]["refunded"] == "40.00"
    assert rows[cancelled.number]["status"] == "cancelled"
    # A cell a spreadsheet would run as a formula is written as text.
    assert rows[cancelled.number]["email"] == "'=cmd@example.com"


def test_csv_export_counts_store_credit_given_for_a_return_as_refunded(
    admin_client, shop, shirt
):
    """As the order's page counts it: a return refunded as store credit gave the
    customer its value back, though no payment was refunded."""
    pia = make_customer(email="pia@example.com", first_name="Pia")
    sale = counter_sale(
        store=shop, lines=[(shirt, 2)], staff=StaffFactory(store=shop), customer=pia
    )
    line = sale.lines.get()
    return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(line.pk, 1, "too_small")],
        location=shop,
        actor=StaffFactory(store=shop, role=Role.STORE_MANAGER),
        refund_method=RefundMethod.STORE_CREDIT,
    )

    (row,) = _export(admin_client, [sale])

    assert row["refunded"] == "40.00"


@pytest.mark.parametrize("count", [2, 12])
def test_csv_export_costs_the_same_queries_for_any_length(
    admin_client, shop, shirt, django_assert_max_num_queries, count
):
    orders = [pickup_order(store=shop, lines=[(shirt, 1)]) for _ in range(count)]
    ContentType.objects.get_for_model(Order)  # kept by a running process
    # Two more record the export in the orders' history (their ids, one INSERT).
    with django_assert_max_num_queries(8):
        rows = _export(admin_client, orders)
    assert len(rows) == count


def test_csv_export_is_recorded_in_each_exported_orders_history(
    admin_client, shop, shirt
):
    pia = make_customer(email="pia@example.com", first_name="Pia", last_name="Moro")
    placed = pickup_order(store=shop, lines=[(shirt, 1)], customer=pia)
    sale = store_sale(shop, shirt, 1)
    other = store_sale(shop, shirt, 1)

    _export(admin_client, [placed, sale])

    recorded = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Order)
    )
    assert {
        (e.object_id, e.user, e.action_flag, e.get_change_message()) for e in recorded
    } == {
        (str(order.pk), admin_client.manager, CHANGE, "Exported as CSV (2 orders)")
        for order in (placed, sale)
    }
    history = admin_client.get(f"{CHANGELIST}{placed.pk}/history/")
    assert "Exported as CSV (2 orders)" in history.content.decode()
    assert not recorded.filter(object_id=str(other.pk)).exists()


# --- carts ----------------------------------------------------------------------------


def test_carts_are_read_only_and_hide_their_token(admin_client, shirt):
    customer = make_customer(email="pia@example.com")
    cart = create_cart(customer=customer)
    add_cart_lines(cart=cart, lines=[(shirt.pk, 2)])
    listing = admin_client.get("/admin/orders/cart/")
    assert listing.status_code == 200
    assert cart.token not in listing.content.decode()
    page = admin_client.get(f"/admin/orders/cart/{cart.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "SHIRT-BLU-M" in html
    assert cart.token not in html
    assert 'name="_save"' not in html
    assert admin_client.get("/admin/orders/cart/add/").status_code == 403
    assert Cart.objects.get(pk=cart.pk).lines.get().quantity == 2


def test_amounts_in_the_lists_carry_their_currency(admin_client, shop):
    zurich = make_shop(code="ZH01", name="Zürich", country="CH")
    item = stocked(zurich, 3, price="45.00")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=item,
        price=Decimal("50.00"),
    )
    francs = counter_sale(
        store=zurich, lines=[(item, 1)], staff=StaffFactory(store=zurich)
    )
    euros = counter_sale(
        store=shop,
        lines=[(stocked(shop, 3, price="30.00"), 1)],
        staff=StaffFactory(store=shop),
    )
    body = admin_client.get("/admin/orders/order/").content.decode()
    assert "50.00 CHF" in body and "30.00 EUR" in body
    assert francs.currency == "CHF" and euros.currency == "EUR"
