"""The returns desk offers only the refunds that work at this shop: a sale paid in
cash in francs cannot be paid back from a euro drawer, nor held as store credit
(kept in euros), nor exchanged, so a euro shop says where it can be refunded
instead of offering options that are refused; a franc card sale still goes back
to its card there, and a euro sale at a euro shop is offered everything."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.staff.once import new_token
from orders.models import (
    PaymentMethod,
    Return,
    ReturnStatus,
    StoreCreditTransaction,
    TillSession,
)
from orders.services.refunds import return_at_counter
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
D = Decimal
ELSEWHERE = "Paid in CHF: refund it at a shop that takes CHF."


@pytest.fixture
def shirt(franc_shirt):
    return franc_shirt


@pytest.fixture
def milano_desk(client, milano):
    """Milano's counter with its euro till open."""
    clerk = StaffFactory(store=milano)
    client.force_login(clerk)
    open_counter_till(clerk)
    return client


def sold_at(store, item, *, tenders=None, phone="+41791234567", till=None):
    """A counter sale at ``store``, booked on ``till`` (else a till opened now)."""
    clerk = StaffFactory(store=store)
    return counter_sale(
        store=store,
        lines=[(item, 1)],
        staff=clerk,
        customer=make_customer(phone=phone),
        tenders=tenders,
        till=TillBooking(till or open_counter_till(clerk), None),
    )


def refund_choices(html: str) -> dict[str, str]:
    """The refund method radios on the page: value → the input tag."""
    tags = re.findall(r'<input[^>]*name="refund_method"[^>]*>', html)
    return {re.search(r'value="([^"]+)"', tag).group(1): tag for tag in tags}


def offered(tag: str) -> bool:
    return " disabled" not in tag


def start_page(client, order) -> str:
    response = client.get(reverse("staff:return_start", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_franc_cash_sale_at_a_euro_shop_says_where_to_refund_it(
    milano_desk, zurich, shirt
):
    sale = sold_at(zurich, shirt, tenders=[(PaymentMethod.CASH, "62.90")])

    html = start_page(milano_desk, sale)

    assert 'data-testid="refund-elsewhere"' in html
    assert ELSEWHERE in html
    assert refund_choices(html) == {}
    assert 'data-testid="receive-and-refund"' not in html
    assert "Exchange instead" not in html
    assert (
        "to the original payment (cash paid in CHF is refunded at a shop that "
        "takes CHF)" in html
    )
    assert "as store credit here" not in html


def test_a_franc_card_sale_at_a_euro_shop_still_goes_back_to_the_card(
    milano_desk, zurich, shirt
):
    sale = sold_at(zurich, shirt)

    html = start_page(milano_desk, sale)

    assert ELSEWHERE not in html
    choices = refund_choices(html)
    assert offered(choices["original"]) and " checked" in choices["original"]
    assert not offered(choices["store_credit"])
    assert "Store credit: not here. Store credit is kept in EUR" in html
    assert "Exchange instead" not in html
    assert 'data-testid="no-exchange"' in html
    line = sale.lines.get()
    refunded = milano_desk.post(
        reverse("staff:return_start", args=[sale.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "too_small",
            f"condition_{line.pk}": "sellable",
            "refund_method": "original",
            "action": "refund",
        },
    )
    assert refunded.status_code == 302
    assert Return.objects.get().status == ReturnStatus.REFUNDED


def test_a_euro_sale_at_a_euro_shop_is_offered_every_refund(milano_desk, milano):
    item = stocked(milano, 5, price="59.90")
    sale = sold_at(
        milano,
        item,
        tenders=[(PaymentMethod.CASH, "59.90")],
        phone="+393331234567",
        till=TillSession.objects.get(),
    )

    html = start_page(milano_desk, sale)

    assert 'data-testid="refund-elsewhere"' not in html
    choices = refund_choices(html)
    assert set(choices) == {"original", "store_credit"}
    assert all(offered(tag) for tag in choices.values())
    assert " checked" in choices["original"]
    assert "not here" not in html
    assert 'data-testid="exchange-instead"' in html


def test_euro_cash_at_a_franc_shop_is_offered_as_store_credit(client, zurich, milano):
    """The franc drawer cannot pay the euros out, but store credit (kept in euros)
    takes them: it is the option chosen, and it refunds."""
    item = stocked(milano, 5, price="59.90")
    sale = sold_at(
        milano, item, tenders=[(PaymentMethod.CASH, "59.90")], phone="+393331234568"
    )
    clerk = StaffFactory(store=zurich)
    client.force_login(clerk)
    open_counter_till(clerk)

    html = start_page(client, sale)

    choices = refund_choices(html)
    assert not offered(choices["original"])
    assert "It was paid in cash in EUR, and this shop&#x27;s drawer holds CHF." in html
    assert offered(choices["store_credit"]) and " checked" in choices["store_credit"]
    line = sale.lines.get()
    refunded = client.post(
        reverse("staff:return_start", args=[sale.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "refund_method": "store_credit",
            "action": "refund",
        },
    )
    assert refunded.status_code == 302
    assert StoreCreditTransaction.objects.get().amount == D("59.90")


def test_a_received_franc_cash_return_at_a_euro_shop_says_where_to_refund_it(
    milano_desk, milano, zurich, shirt
):
    sale = sold_at(zurich, shirt, tenders=[(PaymentMethod.CASH, "62.90")])
    ret = return_at_counter(
        order=sale.number,
        lines=[line_request(sale)],
        location=milano,
        actor=StaffFactory(store=milano),
        refund_now=False,
    )

    page = milano_desk.get(reverse("staff:return_detail", args=[ret.code]))

    html = page.content.decode()
    assert ELSEWHERE in html
    assert refund_choices(html) == {}
    assert 'data-testid="refund"' not in html


def test_the_exchange_page_of_a_walk_in_franc_cash_sale_says_where_to_refund_it(
    milano_desk, zurich, shirt
):
    clerk = StaffFactory(store=zurich)
    sale = counter_sale(
        store=zurich,
        lines=[(shirt, 1)],
        staff=clerk,
        customer=None,
        tenders=[(PaymentMethod.CASH, "62.90")],
        till=TillBooking(open_counter_till(clerk), None),
    )

    html = milano_desk.get(
        reverse("staff:return_exchange", args=[sale.number])
    ).content.decode()

    assert ELSEWHERE in html
    assert "refund it and ring up a new sale" not in html
