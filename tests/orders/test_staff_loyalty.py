"""The customer 360° page shows the loyalty tier, its benefits, the kept spend of the
last 12 months, the progress to the next tier and the points with their worth."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from orders.staff.views.panels import customer_loyalty_panel
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import collected_order, counter_sale, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(name="Torino Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def item(store):
    return stocked(store, 100, price="250.00")


def test_the_360_page_shows_tier_spend_progress_and_points_worth(
    client, associate, store, item
):
    _, customer = shopper()
    collected_order(store=store, lines=[(item, 1)], customer=customer, points=False)
    counter_sale(store=store, lines=[(item, 2)], staff=associate, customer=customer)
    client.force_login(associate)

    response = client.get(reverse("staff:customer_detail", args=[customer.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="customer-loyalty"' in html
    assert '<span data-testid="tier">Silver</span>' in html
    assert "points ×1.25" in html
    assert "750.00 EUR" in html  # kept spend, web and shop together
    assert "750.00 EUR more to <strong>Gold</strong>" in html
    assert 'value="25"' in html  # 250 of the 1000 from Silver to Gold
    # the points are credited after commit, by the outbox: none yet
    assert '<strong data-testid="points-value">0.00 EUR</strong>' in html


def test_gold_shows_free_delivery_and_the_top_of_the_ladder(
    rf, associate, store, item, django_assert_num_queries
):
    _, customer = shopper()
    collected_order(store=store, lines=[(item, 6)], customer=customer, points=False)
    customer.refresh_from_db()
    customer.points_balance = 4321
    request = rf.get("/staff/customers/")
    request.user = associate

    with django_assert_num_queries(1):  # the spend: one aggregate query
        panel = customer_loyalty_panel(request, customer)
        html = render_to_string(panel["template"], {"panel": panel})

    assert '<span data-testid="tier">Gold</span>' in html
    assert "free delivery" in html
    assert "Top tier reached" in html
    assert '<strong data-testid="points-value">43.21 EUR</strong>' in html


@pytest.mark.parametrize("orders", [1, 8])
def test_the_loyalty_panel_costs_one_query_for_any_history(
    rf, associate, store, item, django_assert_num_queries, orders
):
    _, customer = shopper()
    for _ in range(orders):
        collected_order(store=store, lines=[(item, 1)], customer=customer, points=False)
    request = rf.get("/staff/customers/")
    request.user = associate
    with django_assert_num_queries(1):
        panel = customer_loyalty_panel(request, customer)
    assert panel["standing"].spend == 250 * orders
