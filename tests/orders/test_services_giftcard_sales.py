"""A physical gift card sold at the counter: checked before the sale, activated in
the order's transaction, no VAT, never paid with another gift card."""

from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password
from django.test import override_settings

from customers.models import Customer
from omnistore.core.exceptions import ValidationFailed
from orders.models import GiftCard, GiftCardTransaction, Order
from orders.selectors.reports import sales_report
from orders.services.checkout import LineRequest, place_order
from orders.services.giftcard_pins import authenticate_card
from orders.services.giftcard_sales import prepare_card_sale
from orders.services.loyalty import award_points_for_orders
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.stored_value_helpers import PIN, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
NUMBER = "6012 0000 1111 2222"


def sell(store, clerk, cards, lines=(), payments=None):
    return place_order(
        lines=list(lines),
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=clerk,
        payments=payments or [PaymentRequest(method="cash")],
        staff_sale=StaffSale(gift_cards=cards),
    )


def test_the_pin_leaves_preparation_hashed_and_the_number_is_normalised():
    sale = prepare_card_sale(number=NUMBER, pin="4321", amount="50.00")
    assert sale.number == "6012000011112222"
    assert sale.amount == Decimal("50.00")
    assert "4321" not in sale.pin_hash and check_password("4321", sale.pin_hash)
    assert "4321" not in str(sale.as_dict())


@pytest.mark.parametrize(
    ("number", "pin", "amount", "field"),
    [
        ("1234", "4321", "10", "number"),
        ("x" * 40, "4321", "10", "number"),
        (NUMBER, "12", "10", "pin"),
        (NUMBER, "abcd", "10", "pin"),
        (NUMBER, "4321", "0", "amount"),
        (NUMBER, "4321", "-5", "amount"),
        (NUMBER, "4321", "10.001", "amount"),
        (NUMBER, "4321", "NaN", "amount"),
        (NUMBER, "4321", "Infinity", "amount"),
        (NUMBER, "4321", "ten", "amount"),
        (NUMBER, "4321", "1000.01", "amount"),
        ("٤" * 16, "4321", "10", "number"),  # Arabic-Indic digits
        ("¹²³⁴" * 4, "4321", "10", "number"),  # superscripts
        (NUMBER, "4321", "1e1", "amount"),
        (NUMBER, "4321", "+10", "amount"),
        (NUMBER, "4321", "1_0", "amount"),
        (NUMBER, "4321", "１０", "amount"),
        (NUMBER, "4321", "", "amount"),
    ],
)
def test_bad_card_input_is_refused_on_its_field(number, pin, amount, field):
    with pytest.raises(ValidationFailed) as refused:
        prepare_card_sale(number=number, pin=pin, amount=amount)
    assert field in refused.value.extra


@override_settings(
    OMNISTORE_GIFT_CARD_MAX_AMOUNT=Decimal("200.00"),
    OMNISTORE_GIFT_CARD_MIN_AMOUNT=Decimal("10.00"),
)
def test_the_amount_is_bounded_by_the_settings():
    assert prepare_card_sale(number=NUMBER, pin="4321", amount="200").amount == 200
    assert prepare_card_sale(number=NUMBER, pin="4321", amount=" 25.5 ").amount == (
        Decimal("25.50")
    )
    with pytest.raises(ValidationFailed, match="200"):
        prepare_card_sale(number=NUMBER, pin="4321", amount="200.01")
    assert prepare_card_sale(number=NUMBER, pin="4321", amount="10").amount == 10
    with pytest.raises(ValidationFailed, match="from 10.00") as refused:
        prepare_card_sale(number=NUMBER, pin="4321", amount="9.99")
    assert refused.value.extra == {"amount": ["From 10.00 to 200.00."]}


def test_a_card_already_active_or_already_in_the_basket_is_refused():
    first = prepare_card_sale(number=NUMBER, pin="4321", amount="10")
    with pytest.raises(ValidationFailed, match="basket already"):
        prepare_card_sale(number=NUMBER, pin="4321", amount="10", selling=[first])
    gift_card(number="6012000033334444")
    with pytest.raises(ValidationFailed, match="already active"):
        prepare_card_sale(number="6012000033334444", pin="4321", amount="10")


def test_a_sale_of_a_card_alone_activates_it_with_its_balance_and_no_vat():
    store = shop()
    clerk = StaffFactory(store=store)
    order = sell(
        store, clerk, [prepare_card_sale(number=NUMBER, pin="4321", amount="50")]
    )
    card = GiftCard.objects.get()
    assert card.number == "6012000011112222" and card.order == order
    assert card.balance == card.initial_amount == Decimal("50.00")
    assert card.issued_location == store and card.issued_by == clerk
    assert card.currency == order.currency
    txn = GiftCardTransaction.objects.get()
    assert (txn.kind, txn.amount, txn.order) == ("issue", Decimal("50.00"), order)
    assert order.total == order.subtotal == order.net_total == Decimal("50.00")
    assert order.tax_total == 0 and not order.tax_totals.exists()
    assert not order.lines.exists()
    assert list(order.payments.values_list("method", "amount")) == [
        ("cash", Decimal("50.00"))
    ]
    assert authenticate_card(number=NUMBER, pin="4321") == card


def test_a_card_sold_with_goods_adds_to_the_total_but_not_to_the_vat():
    store = shop()
    item = stocked(store, 3, price="119.00")
    goods = sell(store, None, [], lines=[LineRequest(item, 1)])
    both = sell(
        store,
        None,
        [prepare_card_sale(number=NUMBER, pin="4321", amount="30")],
        lines=[LineRequest(item, 1)],
    )
    assert both.total == goods.total + Decimal("30.00")
    assert both.tax_total == goods.tax_total
    assert both.net_total == goods.net_total + Decimal("30.00")
    assert both.net_total + both.tax_total == both.total
    assert sum(p.amount for p in both.payments.all()) == both.total


def test_a_card_is_not_paid_with_another_gift_card():
    store = shop()
    old = gift_card("100.00")
    with pytest.raises(ValidationFailed) as refused:
        sell(
            store,
            None,
            [prepare_card_sale(number=NUMBER, pin="4321", amount="50")],
            payments=[
                PaymentRequest(
                    method="gift_card",
                    amount=Decimal("50.00"),
                    card_number=old.number,
                    pin=PIN,
                )
            ],
        )
    assert refused.value.code == "gift_card_pays_gift_card"
    assert GiftCard.objects.count() == 1 and not Order.objects.exists()


@pytest.mark.parametrize(
    "tender",
    [
        PaymentRequest(method="store_credit", amount=Decimal("50.00")),
        PaymentRequest(method="loyalty_points", points=5000),
    ],
)
def test_store_credit_and_points_do_not_buy_a_gift_card(tender):
    """A card bought with them would be money anyone spends, for three years."""
    store = shop()
    customer = make_customer(email="pia@example.com")
    with pytest.raises(ValidationFailed) as refused:
        place_order(
            lines=[],
            channel="store",
            fulfilment="carry_out",
            placing_location=store,
            staff=None,
            customer=customer,
            payments=[tender],
            staff_sale=StaffSale(
                gift_cards=[prepare_card_sale(number=NUMBER, pin="4321", amount="50")]
            ),
        )
    assert refused.value.code == "gift_card_pays_gift_card"
    assert not GiftCard.objects.exists() and not Order.objects.exists()


def test_a_card_activated_meanwhile_refuses_the_whole_sale():
    store = shop()
    item = stocked(store, 3, price="20.00")
    sale = prepare_card_sale(number=NUMBER, pin="4321", amount="50")
    gift_card(number=NUMBER)  # another till got there first
    with pytest.raises(ValidationFailed, match="already active"):
        sell(store, None, [sale], lines=[LineRequest(item, 1)])
    assert not Order.objects.exists()
    assert GiftCard.objects.get().order is None


def test_a_failed_sale_leaves_no_card_active():
    store = shop()
    sale = prepare_card_sale(number=NUMBER, pin="4321", amount="50")
    with pytest.raises(ValidationFailed):
        sell(
            store,
            None,
            [sale],
            payments=[PaymentRequest(method="cash", amount=Decimal("10.00"))],
        )
    assert not GiftCard.objects.exists() and not Order.objects.exists()


def test_a_card_is_sold_only_in_a_take_now_sale():
    store = shop()
    item = stocked(store, 3, price="20.00")
    with pytest.raises(ValidationFailed) as refused:
        place_order(
            lines=[LineRequest(item, 1)],
            channel="store",
            fulfilment="delivery",
            placing_location=store,
            address={
                "name": "A",
                "line1": "x",
                "city": "y",
                "postcode": "1",
                "country": "DE",
            },
            payments=[PaymentRequest(method="cash")],
            staff_sale=StaffSale(
                gift_cards=[prepare_card_sale(number=NUMBER, pin="4321", amount="5")]
            ),
        )
    assert "gift_cards" in refused.value.extra


def test_a_card_sold_to_a_member_earns_no_points_only_the_goods_do():
    store = shop()
    item = stocked(store, 3, price="40.00")
    pia = make_customer(phone="+393331234567", first_name="Pia")
    order = place_order(
        lines=[LineRequest(item, 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        customer=pia,
        payments=[PaymentRequest(method="cash")],
        staff_sale=StaffSale(
            gift_cards=[prepare_card_sale(number=NUMBER, pin="4321", amount="60")]
        ),
    )
    assert order.total == Decimal("100.00")
    [points] = award_points_for_orders(orders=[order.pk])
    assert points == 40  # one point per unit of the goods, none for the card
    assert Customer.objects.get(pk=pia.pk).points_balance == 40


def test_the_sales_report_counts_the_goods_not_the_cards_sold():
    store = shop()
    item = stocked(store, 3, price="40.00")
    sell(store, None, [prepare_card_sale(number=NUMBER, pin="4321", amount="60")])
    sell(
        store,
        None,
        [prepare_card_sale(number="6012000033334444", pin="4321", amount="25")],
        lines=[LineRequest(item, 1)],
    )
    report = sales_report()
    (row,) = report.by_channel
    # the card sold alone is no order; the card sold with goods takes nothing off
    assert (row["orders"], row["revenue"]) == (1, Decimal("40.00"))
    (shop_row,) = report.by_shop
    assert shop_row["counter_orders"] == 1
    assert shop_row["counter_revenue"] == Decimal("40.00")
    assert (
        shop_row["counter_net"] == Order.objects.get(lines__isnull=False).net_total - 25
    )


def test_a_card_sold_at_a_counter_is_owed_in_the_market_of_the_shop_that_sold_it(
    client,
):
    """Sold at a shop in Italy, the card is the European Union's debt, beside the
    e-gift cards bought for that market, not a row of its own."""
    from django.urls import reverse

    from omnistore.accounts.models import Role
    from tests.factories import UserFactory

    store = shop(country="IT")
    sell(store, None, [prepare_card_sale(number=NUMBER, pin="4321", amount="100")])
    card = GiftCard.objects.get()
    assert card.market is not None and card.market.name == "European Union"
    client.force_login(
        UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    )

    answer = client.get(reverse("admin:orders_giftcard_liability"), {"format": "csv"})

    assert answer.status_code == 200
    rows = answer.content.decode().splitlines()[1:]
    assert [row.split(",")[:5] for row in rows] == [
        ["Gift cards", "European Union", "EUR", "100.00", "100.00"]
    ]
