"""Managers look at returns in the admin (read-only, filtered) and read the returns
rate by shop and by product, drawn as server-rendered bars."""

import re

import pytest
from django.urls import reverse

from orders.models import Return, ReturnStatus
from orders.selectors.reports import returns_rate_by_shop
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, ProductFactory, StaffFactory, UserFactory
from tests.orders.factories import pickup_order, stocked
from tests.orders.returns_helpers import collected_order, counter_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = UserFactory(username="boss", is_staff=True, is_superuser=True, role="hq")
    client.force_login(user)
    return client


@pytest.fixture
def returns():
    """Milano sold 4 shirts and 2 belts; 1 shirt came back to Milano, 1 belt (damaged)
    to Torino."""
    milano = LocationFactory(code="MI01", name="Milano Centro")
    torino = LocationFactory(code="TO01", name="Torino Porta Nuova")
    shirt = stocked(milano, 10, product=ProductFactory(name="Oxford shirt"))
    belt = stocked(milano, 10, product=ProductFactory(name="Leather belt"))
    staff = StaffFactory(store=milano)
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=milano, lines=[(shirt, 4), (belt, 2)], staff=staff, customer=customer
    )
    lines = {line.variant_id: line for line in sale.lines.all()}
    kept = return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(lines[shirt.pk].pk, 1, "too_small")],
        location=milano,
        actor=staff,
    )
    broken = return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(lines[belt.pk].pk, 1, "damaged", condition="damaged")],
        location=torino,
        actor=StaffFactory(store=torino),
    )
    return {"kept": kept, "broken": broken, "milano": milano, "torino": torino}


def test_the_changelist_filters_by_reason_shop_disposition_and_status(manager, returns):
    url = reverse("admin:orders_return_changelist")
    page = manager.get(url).content.decode()
    assert returns["kept"].code in page and returns["broken"].code in page
    assert reverse("admin:orders_return_report") in page

    damaged = manager.get(url, {"lines__disposition__exact": "damaged"}).content
    assert returns["broken"].code.encode() in damaged
    assert returns["kept"].code.encode() not in damaged

    small = manager.get(url, {"lines__reason__exact": "too_small"}).content
    assert returns["kept"].code.encode() in small
    assert returns["broken"].code.encode() not in small

    torino = manager.get(
        url, {"receiving_location__id__exact": returns["torino"].pk}
    ).content
    assert returns["broken"].code.encode() in torino
    assert returns["kept"].code.encode() not in torino

    refunded = manager.get(url, {"status__exact": "refunded"}).content
    assert refunded.count(b"R-") >= 2


def test_a_return_opens_read_only_with_lines_and_history(manager, returns):
    ret = returns["broken"]
    page = manager.get(reverse("admin:orders_return_change", args=[ret.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "status history" in text.lower()
    assert "Arrived damaged" in text
    assert 'name="_save"' not in text  # nothing to save: it is read-only
    assert manager.post(
        reverse("admin:orders_return_change", args=[ret.pk]), {"status": "closed"}
    ).status_code in (302, 403)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REFUNDED


def test_the_close_action_goes_through_the_service(manager, returns):
    response = manager.post(
        reverse("admin:orders_return_changelist"),
        {
            "action": "close_returns",
            "_selected_action": [returns["kept"].pk, returns["broken"].pk],
        },
    )
    assert response.status_code == 302
    assert set(Return.objects.values_list("status", flat=True)) == {"closed"}
    assert returns["kept"].history.filter(to_status="closed").get().note == (
        "Closed in admin"
    )


def test_the_returns_rate_report_draws_bars_by_shop_and_product(manager, returns):
    response = manager.get(reverse("admin:orders_return_report"), {"days": 30})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('<figure class="report-chart">') == 2
    assert len(re.findall(r'<rect class="bar"', text)) == 4
    # The shared chart: one bar per shop and per product, valued as a rate.
    assert "<title>Milano Centro · Returns rate: 16.7%</title>" in text
    assert "<title>Leather belt · Returns rate: 50.0%</title>" in text
    # Milano handed over 6 units and took 1 back; Torino took 1 back, sold none.
    assert re.search(
        r"Milano Centro</td><td class=\"num\">6</td><td class=\"num\">1</td><td class=\"num\">16.7%",
        text,
    )
    assert re.search(
        r"Torino Porta Nuova</td><td class=\"num\">0</td><td class=\"num\">1</td>", text
    )
    assert re.search(
        r"Leather belt</td><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">50.0%",
        text,
    )
    assert re.search(
        r"Oxford shirt</td><td class=\"num\">4</td><td class=\"num\">1</td><td class=\"num\">25.0%",
        text,
    )
    # The charts are drawn by our own static script, no CDN (not a search for "cdn"
    # in the page: its CSRF token is random letters and can spell it).
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', text)
    assert external == []


def test_the_report_needs_admin_access(client, returns):
    client.force_login(StaffFactory(store=returns["milano"]))
    response = client.get(reverse("admin:orders_return_report"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_returns_rate_counts_units_handed_over_not_those_still_waiting():
    """Sold at the counter (3) and collected (2) count; a pickup still waiting (5)
    is not handed over yet, so not sold for the rate."""
    shop = LocationFactory(code="MI09", name="Milano Nove")
    item = stocked(shop, 20)
    counter_sale(store=shop, lines=[(item, 3)], staff=StaffFactory(store=shop))
    collected_order(
        store=shop, lines=[(item, 2)], customer=make_customer(email="ada@example.com")
    )
    pickup_order(
        store=shop, lines=[(item, 5)], customer=make_customer(email="bo@example.com")
    )

    (row,) = returns_rate_by_shop()

    assert (row.label, row.sold, row.returned) == ("Milano Nove", 5, 0)


def test_a_returns_history_page_lists_its_status_changes_who_where_and_why(
    client, manager, returns
):
    """Returns change through the services, not their admin page: the History
    button leads to each step, with who made it, where and why."""
    kept = returns["kept"]
    manager.post(
        reverse("admin:orders_return_changelist"),
        {"action": "close_returns", "_selected_action": [kept.pk]},
    )
    url = reverse("admin:orders_return_history", args=[kept.pk])

    page = manager.get(url)

    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="return-status-history"' in text
    assert "This object doesn’t have a change history" not in text
    section = text.split('data-testid="return-status-history"')[1]
    section = section.split("Changes made in the admin")[0]
    rows = section.split("<tr>")[2:]  # after the headings
    steps = kept.history.select_related("actor", "location").order_by("at", "id")
    assert len(rows) == steps.count() >= 2
    closed = rows[-1]
    assert "Refunded" in closed and "Closed" in closed
    assert "Closed in admin" in closed and str(steps.last().actor) in closed
    first = steps.first()
    assert str(first.actor) in rows[0] and "Milano Centro" in rows[0]

    stranger = UserFactory(
        username="to-manager", role="store_manager", store=returns["torino"]
    )
    client.force_login(stranger)
    assert client.get(url).status_code == 404
