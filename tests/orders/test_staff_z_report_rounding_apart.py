"""The Z report states what the cash sales and the cash refunds were rounded by to
the drawer's smallest coin, each apart, whenever any cash was rounded: a sale's
+0.02 and its refund's -0.02 cancel out in the drawer, yet each explains why the
drawer's cash differs from the tenders' exact money."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.staff.once import new_token
from orders.models import Order, PaymentMethod, TillMovement, TillMovementKind
from tests.factories import StaffFactory
from tests.orders.factories import in_francs, shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


def z_report(desk, session) -> str:
    page = desk.get(reverse("staff:till_report", args=[session.pk]))
    assert page.status_code == 200
    return page.content.decode()


def sell_in_cash(desk, item, tendered: str) -> Order:
    desk.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    data = {"mode": "carry_out", "method_1": PaymentMethod.CASH, "tendered": tendered}
    sold = desk.post(reverse("staff:sale_checkout"), data, **HTMX)
    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    return Order.objects.get()


def test_a_sales_and_a_refunds_rounding_that_cancel_out_are_both_on_the_z_report(
    client,
):
    zurich = shop(code="ZH01", name="Zürich", country="CH", city="Zürich")
    clerk = StaffFactory(store=zurich)
    session = open_counter_till(clerk, counts={D("50"): 2})
    shirt = stocked(zurich, 5, price="60.00", sku="WSH-00001-WHT-XS")
    in_francs(shirt, "62.93")
    client.force_login(clerk)
    order = sell_in_cash(client, shirt, "100")
    line = order.lines.get()
    returned = client.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "refund_method": "original",
            "action": "refund",
        },
    )
    assert returned.status_code == 302
    booked = TillMovement.objects.filter(
        kind__in=[TillMovementKind.SALE, TillMovementKind.REFUND]
    ).order_by("pk")
    assert [(b.amount, b.rounding) for b in booked] == [
        (D("62.95"), D("0.02")),
        (D("-62.95"), D("-0.02")),
    ]

    report = z_report(client, session)

    assert 'data-testid="z-sales-rounding">0.02<' in report
    assert 'data-testid="z-refunds-rounding">-0.02<' in report
    assert 'data-testid="z-expected">100.00<' in report


def test_a_drawer_counted_to_the_cent_shows_no_rounding(client):
    milano = shop(code="MI01", name="Milano Duomo")
    clerk = StaffFactory(store=milano)
    session = open_counter_till(clerk)
    client.force_login(clerk)
    sell_in_cash(client, stocked(milano, 5, price="62.93"), "100")

    report = z_report(client, session)

    assert "z-sales-rounding" not in report and "z-refunds-rounding" not in report
