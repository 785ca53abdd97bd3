"""The order page's fulfilment table gives the day each part was planned to be
ready as such, not as the time it became ready (the pickup card's "Ready since")."""

import re

import pytest
from django.urls import reverse

from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import ready_order

pytestmark = pytest.mark.django_db


def test_the_fulfilment_table_heads_the_planned_day_expected_ready(client):
    shop = LocationFactory(code="MI01", name="Milano Centro")
    client.force_login(StaffFactory(store=shop))
    shirt = VariantFactory(price="40.00")
    stock(shirt, shop, 5)
    order = ready_order(store=shop, lines=[(shirt, 1)])
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    table = re.search(
        r'data-testid="fulfilments">.*?</thead>', page.content.decode(), re.S
    ).group(0)
    headings = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert "Expected ready" in headings and "Ready" not in headings
