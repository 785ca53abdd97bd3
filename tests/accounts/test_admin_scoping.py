"""Managers in the admin see their shops only: lists, objects by URL (404), location
filters, actions and reports; HQ sees every shop. One rule for all of them
(``omnistore.accounts.scoping``)."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from customers.models import Channel, Customer
from inventory.models import StockLevel
from omnistore.accounts.models import Role
from orders.models import Order, OrderStatus
from orders.services.checkout import place_order
from orders.services.payments import PaymentRequest
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, UserFactory, VariantFactory, stock
from tests.orders.factories import pickup_order

pytestmark = pytest.mark.django_db

ORDERS = "/admin/orders/order/"


def counter_sale(shop, variant, **kwargs) -> Order:
    return place_order(
        lines=[(variant, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=shop,
        payments=[PaymentRequest(method="cash")],
        **kwargs,
    )


@pytest.fixture
def book():
    """Three shops, a sale at each, a click-and-collect order waiting at the second."""
    shops = [
        LocationFactory(code=code, name=name)
        for code, name in [("MI", "Milano"), ("TO", "Torino"), ("RM", "Roma")]
    ]
    shirt = VariantFactory(sku="SHIRT", price="40.00")
    for shop in shops:
        stock(shirt, shop, 20)
    sales = [
        counter_sale(shop, shirt, customer=make_customer(email=f"{shop.code}@x.it"))
        for shop in shops
    ]
    waiting = pickup_order(store=shops[1], lines=[(shirt, 1)])
    return {"shops": shops, "sales": sales, "pickup": waiting, "shirt": shirt}


@pytest.fixture
def store_manager(book):
    return UserFactory(
        username="marco", role=Role.STORE_MANAGER, store=book["shops"][0]
    )


@pytest.fixture
def area_manager(book):
    from omnistore.accounts.services import assign_role

    user = UserFactory(username="paolo")
    return assign_role(user=user, role=Role.AREA_MANAGER, shops=book["shops"][:2])


def listed(response) -> set[str]:
    return {str(obj) for obj in response.context["cl"].result_list}


def numbers(response) -> set[str]:
    return {order.number for order in response.context["cl"].result_list}


def test_a_store_manager_lists_only_their_shops_orders(client, book, store_manager):
    client.force_login(store_manager)
    response = client.get(ORDERS)
    assert response.status_code == 200
    assert numbers(response) == {book["sales"][0].number}


def test_an_area_manager_lists_the_orders_of_each_of_their_shops(
    client, book, area_manager
):
    client.force_login(area_manager)
    expected = {book["sales"][0].number, book["sales"][1].number}
    assert numbers(client.get(ORDERS)) == expected | {book["pickup"].number}


def test_hq_lists_every_order(client, book):
    client.force_login(UserFactory(role=Role.HQ))
    assert len(numbers(client.get(ORDERS))) == 4


@pytest.mark.parametrize("page", ["change", "history", "delete", "cancel"])
def test_another_shops_order_by_url_is_a_404(client, book, store_manager, page):
    client.force_login(store_manager)
    other = book["sales"][2]
    url = reverse(f"admin:orders_order_{page}", args=[other.pk])
    assert client.get(url).status_code == 404
    own = reverse(f"admin:orders_order_{page}", args=[book["sales"][0].pk])
    assert client.get(own).status_code in (200, 302, 403)  # found, never a 404


@pytest.mark.parametrize(
    "url",
    [
        "/admin/inventory/stocklevel/{}/change/",
        "/admin/customers/customer/{}/change/",
    ],
)
def test_another_shops_stock_and_customers_are_404(client, book, store_manager, url):
    client.force_login(store_manager)
    far = book["shops"][2]
    level = StockLevel.objects.get(location=far)
    target = level.pk if "stocklevel" in url else book["sales"][2].customer_id
    assert client.get(url.format(target)).status_code == 404


def test_stock_customers_and_transfers_lists_are_scoped(client, book, store_manager):
    client.force_login(store_manager)
    levels = client.get("/admin/inventory/stocklevel/").context["cl"].result_list
    assert {level.location_id for level in levels} == {book["shops"][0].pk}
    customers = client.get("/admin/customers/customer/").context["cl"].result_list
    assert [c.email for c in customers] == ["mi@x.it"]
    ledger = client.get("/admin/inventory/stockmovement/").context["cl"].result_list
    assert {m.location_id for m in ledger} == {book["shops"][0].pk}


def test_the_locations_list_and_pages_show_a_manager_their_shops(
    client, book, area_manager
):
    client.force_login(area_manager)
    response = client.get("/admin/inventory/location/")
    assert response.status_code == 200
    assert listed(response) == {str(shop) for shop in book["shops"][:2]}
    own = f"/admin/inventory/location/{book['shops'][0].pk}/change/"
    assert client.get(own).status_code == 200
    far = f"/admin/inventory/location/{book['shops'][2].pk}/change/"
    assert client.get(far).status_code == 404


def test_the_location_filter_offers_only_the_managers_shops(client, book, area_manager):
    client.force_login(area_manager)
    response = client.get(ORDERS)
    spec = next(
        f
        for f in response.context["cl"].filter_specs
        if f.field_path == "placing_location"
    )
    assert {name for _pk, name in spec.lookup_choices} == {"Milano (MI)", "Torino (TO)"}
    own = client.get(ORDERS, {"placing_location__id__exact": book["shops"][1].pk})
    assert numbers(own) == {book["sales"][1].number}


def refused(response) -> str:
    """The redirect Django answers a filter value it cannot read with, and the
    message shown on the list it leads to."""
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_a_location_filter_naming_another_shop_is_refused(client, book, area_manager):
    """HQ, who sees every shop, filters by any of them."""
    roma = {"placing_location__id__exact": book["shops"][2].pk}
    client.force_login(area_manager)
    assert "only your shops" in refused(client.get(ORDERS, roma))
    client.force_login(UserFactory(role=Role.HQ))
    assert numbers(client.get(ORDERS, roma)) == {book["sales"][2].number}


@pytest.mark.parametrize("value", ["far", "abc", "٣"])
def test_a_one_shop_managers_stock_filter_is_refused_not_ignored(
    client, book, store_manager, value
):
    """A manager of one shop has no location filter to show: naming another shop
    (or no id at all) in the address is refused, never the list shown unfiltered."""
    client.force_login(store_manager)
    asked = book["shops"][2].pk if value == "far" else value
    for url in ["/admin/inventory/stocklevel/", "/admin/inventory/stockmovement/"]:
        response = client.get(url, {"location__id__exact": asked})
        assert "only your shops" in refused(response)
    own = client.get(
        "/admin/inventory/stocklevel/", {"location__id__exact": book["shops"][0].pk}
    )
    assert {level.location_id for level in own.context["cl"].result_list} == {
        book["shops"][0].pk
    }


def test_an_action_never_reaches_another_shops_order(client, book, store_manager):
    client.force_login(store_manager)
    shops, shirt = book["shops"], book["shirt"]
    own = pickup_order(store=shops[0], lines=[(shirt, 1)], email="own@x.it")
    other = pickup_order(store=shops[2], lines=[(shirt, 1)], email="far@x.it")
    client.post(
        ORDERS,
        {
            "action": "cancel_orders",
            ACTION_CHECKBOX_NAME: [other.pk, own.pk],
            "confirm": "1",
            "reason": "customer changed their mind",
        },
    )
    other.refresh_from_db()
    own.refresh_from_db()
    assert other.status != OrderStatus.CANCELLED
    assert own.status == OrderStatus.CANCELLED


def test_the_sales_report_counts_only_the_managers_shops(client, book, store_manager):
    client.force_login(store_manager)
    report = client.get(reverse("admin:orders_order_report"), {"days": 0}).context[
        "report"
    ]
    assert [row["shop"] for row in report.by_shop] == ["Milano"]
    assert sum(row["orders"] for row in report.by_channel) == 1
    rate = client.get(reverse("admin:orders_return_report"), {"days": 0})
    assert rate.status_code == 200
    assert {row.label for row in rate.context["by_shop"]} <= {"Milano"}


def test_hq_reports_every_shop(client, book):
    client.force_login(UserFactory(role=Role.HQ))
    report = client.get(reverse("admin:orders_order_report"), {"days": 0}).context[
        "report"
    ]
    assert {row["shop"] for row in report.by_shop} == {"Milano", "Torino", "Roma"}


def form_as_posted(response) -> dict:
    """What the browser sends back for the admin form on ``response`` untouched."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else value
    return data


def test_a_managers_save_keeps_a_preferred_store_of_another_shop(
    client, book, store_manager
):
    """The customer bought in Milano and prefers Roma: the Milano manager corrects
    the name, and the preferred store stays Roma; choosing Torino is refused."""
    milano, torino, roma = book["shops"]
    customer = book["sales"][0].customer
    Customer.objects.filter(pk=customer.pk).update(preferred_store=roma)
    client.force_login(store_manager)
    url = f"/admin/customers/customer/{customer.pk}/change/"
    page = client.get(url)
    choices = {
        str(value)
        for value, _ in page.context["adminform"].form.fields["preferred_store"].choices
        if value
    }
    assert choices == {str(milano.pk), str(roma.pk)}

    data = {**form_as_posted(page), "first_name": "Giulia Maria"}
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    customer.refresh_from_db()
    assert (customer.first_name, customer.preferred_store_id) == (
        "Giulia Maria",
        roma.pk,
    )

    refused = client.post(url, {**data, "preferred_store": str(torino.pk)})
    assert refused.status_code == 200
    assert "preferred_store" in refused.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.preferred_store_id == roma.pk


def test_a_manager_sees_what_their_shops_order_holds(client, book, store_manager):
    """Its lines, payments and history are part of the order: whoever may see the
    order sees them, read-only."""
    order = book["sales"][0]
    client.force_login(store_manager)
    page = client.get(f"{ORDERS}{order.pk}/change/")
    assert page.status_code == 200
    inlines = {
        formset.opts.model._meta.model_name: formset
        for formset in page.context["inline_admin_formsets"]
    }
    assert {"orderline", "payment", "orderstatuschange"} <= set(inlines)
    body = page.content.decode()
    assert "SHIRT" in body and "40.00" in body
    assert not any(f.has_change_permission for f in inlines.values())
