"""Cash in francs at the Zürich counter: the drawer has no coin below 0.05, so the
cash part of a sale is due rounded to 0.05 (56.61 is 56.60 in cash), the change is
worked out from that and the till books the cash that moved with its rounding; the
order keeps its exact total. A correct count then balances, a cash refund rounds
the same way, and the receipts say "Rounding". Euros, counted to the cent, are
untouched."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory.models import PriceList, PriceListPrice
from omnistore.staff.once import new_token
from orders.models import (
    Order,
    PaymentMethod,
    TillMovement,
    TillMovementKind,
    TillSessionStatus,
)
from orders.selectors.till import cash_rounded
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def zurich():
    return shop(code="ZH01", name="Zürich", country="CH", city="Zürich")


@pytest.fixture
def shirt(zurich):
    """56.61 CHF on the Swiss price list: no coin makes it."""
    item = stocked(zurich, 10, price="54.00", sku="WSH-00001-WHT-XS")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=item, price=D("56.61")
    )
    return item


@pytest.fixture
def clerk(zurich):
    return StaffFactory(store=zurich)


@pytest.fixture
def session(clerk):
    """Opened with 100.50 francs: two 50 notes and ten 0.05 coins."""
    return open_counter_till(clerk, counts={D("50"): 2, D("0.05"): 10})


@pytest.fixture
def desk(client, clerk, session):
    client.force_login(clerk)
    return client


def sell(desk, item, **payment):
    desk.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    data = {"mode": "carry_out", "method_1": PaymentMethod.CASH, **payment}
    return desk.post(reverse("staff:sale_checkout"), data, **HTMX)


def count(**units):
    return {f"count-d_{k}": v for k, v in units.items()}


def test_the_cash_due_is_rounded_to_the_smallest_coin_and_the_drawer_balances(
    desk, shirt, session
):
    checkout = desk.get(reverse("staff:sale"))
    assert checkout.status_code == 200
    desk.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    page = desk.get(reverse("staff:sale")).content.decode()
    assert 'data-testid="cash-total">· in cash 56.60' in page
    desk.post(reverse("staff:sale_clear"))

    sold = sell(desk, shirt, tendered="100")

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    order = Order.objects.get()
    assert (order.currency, order.total) == ("CHF", D("56.61"))
    assert [(p.method, p.amount) for p in order.payments.all()] == [
        ("cash", D("56.61"))
    ]
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.amount, booked.rounding, booked.tendered, booked.change) == (
        D("56.60"),
        D("-0.01"),
        D("100.00"),
        D("43.40"),
    )
    receipt = desk.get(sold["HX-Redirect"]).content.decode()
    assert 'data-testid="cash-rounding">-0.01<' in receipt
    assert 'data-testid="change-due">43.40 CHF<' in receipt
    till = desk.get(reverse("staff:till")).content.decode()
    assert 'data-testid="till-expected">157.10 CHF' in till
    assert 'data-testid="till-rounding">rounded -0.01<' in till

    closed = desk.post(
        reverse("staff:till_close"),
        count(**{"50": 3, "5": 1, "2": 1, "0_10": 1}),
    )

    assert closed.status_code == 302
    session.refresh_from_db()
    assert session.status == TillSessionStatus.CLOSED
    assert (session.expected_cash, session.counted_cash) == (D("157.10"), D("157.10"))
    assert session.over_short == 0
    assert not TillMovement.objects.filter(kind=TillMovementKind.CLOSE_ADJUSTMENT)
    report = desk.get(closed["Location"]).content.decode()
    assert 'data-testid="z-sales-rounding">-0.01<' in report
    assert 'data-testid="z-refunds-rounding">0.00<' in report
    assert 'data-testid="z-sales-total">56.61<' in report


def test_the_rounded_amount_is_enough_and_less_is_refused_in_coins(desk, shirt):
    refused = sell(desk, shirt, tendered="56.55")
    assert refused.status_code == 422
    assert "The customer gave 56.55 CHF; 56.60 CHF is due in cash." in (
        refused.content.decode()
    )
    assert not Order.objects.exists()

    sold = desk.post(  # the refused shirt is still in the basket
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": PaymentMethod.CASH, "amount_1": "56.60"},
        **HTMX,
    )  # the cash handed over: no change

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    assert Order.objects.get().total == D("56.61")
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.amount, booked.tendered, booked.change) == (
        D("56.60"),
        D("56.60"),
        D("0.00"),
    )


def test_a_cash_refund_is_rounded_the_same_way_and_the_drawer_is_back_to_its_float(
    desk, shirt, session
):
    sell(desk, shirt, tendered="60")
    order = Order.objects.get()
    line = order.lines.get()

    returned = desk.post(
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
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert (booked.amount, booked.rounding) == (D("-56.60"), D("0.01"))
    till = desk.get(reverse("staff:till")).content.decode()
    assert 'data-testid="till-expected">100.50 CHF' in till
    code = order.returns.get().code
    receipt = desk.get(reverse("staff:return_receipt_print", args=[code]))
    body = receipt.content.decode()
    assert "56.61 CHF" in body  # the money refunded, exact
    assert 'data-testid="cash-rounding">-0.01 CHF<' in body  # 56.60 in coins


def test_the_returns_desk_says_the_cash_the_drawer_pays_out(desk, shirt, session):
    """The refund is 56.61 francs; the drawer pays 56.60: the button says so before
    it is pressed, and the desk is told so after, as the sale's checkout says the
    cash due."""
    sell(desk, shirt, tendered="60")
    order = Order.objects.get()
    line = order.lines.get()
    url = reverse("staff:return_start", args=[order.number])
    units = {f"qty_{line.pk}": "1", "refund_method": "original"}

    typed = desk.get(url, {"units": "typed", **units}, **HTMX).content.decode()

    assert (
        'Receive and refund 56.61 CHF <span class="small" data-testid="refund-in-'
        'cash">· in cash 56.60, rounded to the smallest coin</span></button>'
    ) in typed
    returned = desk.post(
        url,
        {
            "once": new_token(),
            **units,
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "action": "refund",
        },
    )
    assert returned.status_code == 302
    code = order.returns.get().code
    assert [str(m) for m in get_messages(returned.wsgi_request)] == [
        f"Return {code} refunded: 56.61 CHF to cash · in cash 56.60, rounded to the "
        "smallest coin."
    ]
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert booked.amount == D("-56.60")
    page = desk.get(reverse("staff:return_detail", args=[code])).content.decode()
    assert (
        '<div class="small" data-testid="refund-in-cash">In cash 56.60 CHF, rounded '
        "to the smallest coin</div>"
    ) in page


def test_the_desk_says_the_cash_after_units_already_paid_back(desk, zurich):
    """Three units at 10.03 francs, the sale took 30.10: the first unit back pays
    10.05, the next 10.00, as the till pays them (never the customer's favour
    twice), and the button says what will be paid."""
    socks = stocked(zurich, 10, price="9.50", sku="SOCKS-GRY")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=socks, price=D("10.03")
    )
    for _ in range(3):
        desk.post(reverse("staff:sale_add"), {"code": socks.sku}, **HTMX)
    data = {"mode": "carry_out", "method_1": PaymentMethod.CASH, "tendered": "50"}
    desk.post(reverse("staff:sale_checkout"), data, **HTMX)
    order = Order.objects.get()
    line = order.lines.get()
    url = reverse("staff:return_start", args=[order.number])

    def in_cash(units: str) -> str:
        typed = {"units": "typed", f"qty_{line.pk}": units, "refund_method": "original"}
        page = desk.get(url, typed, **HTMX).content.decode()
        return page.partition('data-testid="refund-in-cash">')[2].partition(",")[0]

    assert in_cash("1") == "· in cash 10.05"
    desk.post(
        url,
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "refund_method": "original",
            "action": "refund",
        },
    )
    assert TillMovement.objects.get(kind=TillMovementKind.REFUND).amount == D("-10.05")

    assert in_cash("1") == "· in cash 10.00"
    assert in_cash("2") == "· in cash 20.05"


def test_cash_is_rounded_to_the_drawers_smallest_coin_only():
    assert cash_rounded(D("56.61"), "CHF") == D("56.60")
    assert cash_rounded(D("56.63"), "CHF") == D("56.65")
    assert cash_rounded(D("-56.61"), "CHF") == D("-56.60")
    assert cash_rounded(D("56.61"), "EUR") == D("56.61")
    assert cash_rounded(D("56.61"), "SEK") == D("57.00")


def test_units_returned_one_at_a_time_give_back_the_cash_the_sale_took(
    desk, zurich, session
):
    socks = stocked(zurich, 10, price="9.50", sku="SOCKS-GRY")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=socks, price=D("10.03")
    )
    for _ in range(3):
        desk.post(reverse("staff:sale_add"), {"code": socks.sku}, **HTMX)
    data = {"mode": "carry_out", "method_1": PaymentMethod.CASH, "tendered": "50"}
    desk.post(reverse("staff:sale_checkout"), data, **HTMX)
    order = Order.objects.get()
    assert order.total == D("30.09")
    sold = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert sold.amount == D("30.10")
    line = order.lines.get()

    for _ in range(3):
        returned = desk.post(
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

    paid_back = list(
        TillMovement.objects.filter(kind=TillMovementKind.REFUND)
        .order_by("pk")
        .values_list("amount", flat=True)
    )
    assert paid_back == [D("-10.05"), D("-10.00"), D("-10.05")]
    assert -sum(paid_back) == sold.amount  # never more cash out than came in
    till = desk.get(reverse("staff:till")).content.decode()
    assert 'data-testid="till-expected">100.50 CHF' in till


@pytest.mark.parametrize("kind", ["cash_out", "cash_in"])
def test_cash_moved_in_or_out_is_what_the_drawers_coins_make(desk, session, kind):
    """No coin makes 0.03 francs: a cash out (or in) of it could never be counted
    back, so the close would be short by a count that was right. It is refused on
    the amount and nothing is booked; 0.05 moves."""

    def move(amount):
        data = {"move-kind": kind, "move-reason": "Change", "move-once": new_token()}
        return desk.post(reverse("staff:till_cash"), {**data, "move-amount": amount})

    refused = move("0.03")

    assert refused.status_code == 422
    body = refused.content.decode()
    assert "A multiple of 0.05 CHF." in body
    assert not TillMovement.objects.filter(kind=kind).exists()
    assert 'data-testid="till-expected">100.50 CHF' in body
    assert move("0.05").status_code == 302
    assert TillMovement.objects.get(kind=kind).amount == D(
        "-0.05" if kind == "cash_out" else "0.05"
    )
