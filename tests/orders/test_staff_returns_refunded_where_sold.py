"""A cash sale posted back to a warehouse is the selling shop's work too: the
warehouse receives it but has no till, so the shop that sold it pays the cash back.
Once received there, the return waits at that shop's desk and counts on its
dashboard; refunded from its till, it is among the shop's returns today on the
manager's page. Another shop sees none of it."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import Return, ReturnStatus, TillMovement
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked, warehouse
from tests.orders.returns_helpers import api_client_for, counter_sale, shopper
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def duomo():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def bologna():
    return warehouse(code="WH-BO", name="Bologna Interporto")


@pytest.fixture
def seller(duomo):
    associate = StaffFactory(store=duomo)
    open_counter_till(associate)
    return associate


@pytest.fixture
def posted(bologna, duomo, seller, client):
    """Sold at Duomo for cash, started online by the customer, received only at the
    warehouse."""
    user, customer = shopper("cash@example.com")
    coat = stocked(duomo, 3, price="80.00")
    sale = counter_sale(
        store=duomo,
        lines=[(coat, 1)],
        staff=seller,
        customer=customer,
        tenders=[("cash", None)],
    )
    started = api_client_for(user).post(
        "/api/v1/returns/",
        {
            "order": sale.number,
            "lines": [
                {"order_line": sale.lines.get().pk, "quantity": 1, "reason": "too_big"}
            ],
        },
        format="json",
    )
    assert started.status_code == 201
    ret = Return.objects.get(code=started.json()["code"])
    line = ret.lines.get()
    client.force_login(StaffFactory(store=bologna))
    received = client.post(
        reverse("staff:return_receive", args=[ret.code]),
        {
            f"condition_{line.pk}": "sellable",
            f"disposition_{line.pk}": "",
            "refund_method": "store_credit",
            "action": "receive",
        },
    )
    assert received.status_code == 302
    ret.refresh_from_db()
    assert (ret.status, ret.receiving_location) == (ReturnStatus.RECEIVED, bologna)
    return ret


def waiting_codes(client) -> list[str]:
    page = client.get(reverse("staff:returns_desk"))
    return [ret.code for ret in page.context["waiting"]]


def returns_to_process(client) -> int:
    return client.get(reverse("staff:dashboard")).context["order_work"][
        "returns_waiting"
    ]


def test_a_return_received_at_the_warehouse_waits_at_the_shop_that_sold_it_only(
    client, posted, seller
):
    client.force_login(seller)

    assert waiting_codes(client) == [posted.code]
    assert returns_to_process(client) == 1
    desk = client.get(reverse("staff:returns_desk")).content.decode()
    assert f'data-code="{posted.code}"' in desk
    assert "Nothing waiting here" not in desk

    client.force_login(StaffFactory(store=shop(code="TO01", name="Torino Roma")))
    assert waiting_codes(client) == []
    assert returns_to_process(client) == 0


def test_refunded_from_the_shops_till_it_is_among_the_shops_returns_today(
    client, posted, duomo, seller
):
    manager = make_approver(StaffFactory(store=duomo, role=Role.STORE_MANAGER))
    client.force_login(manager)
    day = client.get(reverse("staff:manager_day"))
    assert [r.code for r in day.context["returns"]] == []  # not handled here yet

    client.force_login(seller)
    refunded = client.post(
        reverse("staff:return_refund", args=[posted.code]),
        {"refund_method": "original"},
    )
    assert refunded.status_code == 302
    assert TillMovement.objects.get(kind="refund").amount == Decimal("-80.00")
    assert waiting_codes(client) == []
    assert returns_to_process(client) == 0

    client.force_login(manager)
    day = client.get(reverse("staff:manager_day"))
    assert [(r.code, r.handled_by.display_name) for r in day.context["returns"]] == [
        (posted.code, seller.display_name)
    ]
    assert posted.code in day.content.decode()
    rows = csv.reader(
        io.StringIO(client.get(reverse("staff:manager_day_csv")).content.decode())
    )
    assert [row[1] for row in rows if row and row[0] == "return"] == [posted.code]
