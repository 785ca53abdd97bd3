"""VAT at the one pricing path: the worked examples of docs/taxes.md, checked to the
cent through checkout, counter sales and returns."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import (
    LegalEntity,
    Market,
    PriceList,
    PriceListPrice,
    TaxClass,
    TaxRate,
)
from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, OrderLine, OrderTaxTotal, Register
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from orders.services.till import open_till
from tests.factories import StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import ADDRESS, delivery_order, shop, stocked, warehouse

pytestmark = pytest.mark.django_db

D = Decimal


def counter_sale(store, lines, *, now=None, **kwargs):
    return place_order(
        lines=[LineRequest(v, q) for v, q in lines],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=StaffFactory(store=store),
        payments=[PaymentRequest(method="cash")],
        now=now,
        **kwargs,
    )


def split(line: OrderLine) -> tuple:
    return (line.line_total, line.net, line.tax, line.tax_rate, line.tax_class)


def test_three_lines_at_two_rates_with_a_ten_percent_order_discount():
    """72.78 less 10 % (7.28, spread 4.98 / 1.30 / 1.00 by largest remainders), then
    VAT per line, rounded half up; the lines add up to the per-rate totals and
    the order's to the cent."""
    store = shop()
    shirt = stocked(store, 5, price="24.90")
    pasta = stocked(store, 5, price="12.99", product__tax_class=TaxClass.REDUCED)
    socks = stocked(store, 5, price="3.33")
    discount_code("TEN", "percentage", "10")

    order = counter_sale(
        store, [(shirt, 2), (pasta, 1), (socks, 3)], discount_code="TEN"
    )

    lines = {line.variant_id: line for line in order.lines.all()}
    assert [lines[v.pk].discount for v in (shirt, pasta, socks)] == [
        D("4.98"),
        D("1.30"),
        D("1.00"),
    ]
    assert split(lines[shirt.pk]) == (
        D("44.82"),
        D("36.74"),
        D("8.08"),
        D("22"),
        "standard",
    )
    assert split(lines[pasta.pk]) == (
        D("11.69"),
        D("10.63"),
        D("1.06"),
        D("10"),
        "reduced",
    )
    assert split(lines[socks.pk]) == (
        D("8.99"),
        D("7.37"),
        D("1.62"),
        D("22"),
        "standard",
    )
    order.refresh_from_db()
    assert (order.subtotal, order.discount_total, order.total) == (
        D("72.78"),
        D("7.28"),
        D("65.50"),
    )
    assert (order.net_total, order.tax_total, order.tax_country) == (
        D("54.74"),
        D("10.76"),
        "IT",
    )
    totals = [
        (t.rate, t.tax_class, t.net, t.tax, t.gross)
        for t in OrderTaxTotal.objects.filter(order=order)
    ]
    assert totals == [
        (D("22"), "standard", D("44.11"), D("9.70"), D("53.81")),
        (D("10"), "reduced", D("10.63"), D("1.06"), D("11.69")),
    ]
    assert sum(t[4] for t in totals) == order.total


def test_a_refund_after_a_rate_change_takes_the_rate_the_line_was_sold_at():
    store = shop()
    item = stocked(store, 5, price="61.00")
    sold_at = timezone.now() - timedelta(days=10)
    order = counter_sale(store, [(item, 2)], now=sold_at)
    line = order.lines.get()
    assert (line.net, line.tax, line.tax_rate) == (D("100.00"), D("22.00"), D("22"))
    TaxRate.objects.create(
        country="IT",
        tax_class=TaxClass.STANDARD,
        rate=D("24"),
        valid_from=(sold_at + timedelta(days=5)).date(),
    )

    open_till(  # the cash refund leaves through the shop's open till
        register=Register.objects.create(location=store, name="Till 1"),
        counts={Decimal("50"): 2},
        actor=StaffFactory(store=store),
    )
    ret = return_at_counter(
        order=order,
        lines=[ReturnLineRequest(order_line=line.pk, quantity=1)],
        location=store,
        actor=StaffFactory(store=store),
    )

    returned = ret.lines.get()
    assert (returned.amount, returned.net, returned.tax) == (
        D("61.00"),
        D("50.00"),
        D("11.00"),
    )
    assert ret.refund_total == D("61.00")
    # A sale today is at the new rate: the change is real, the refund ignored it.
    today = counter_sale(store, [(item, 1)]).lines.get()
    assert (today.tax_rate, today.tax) == (D("24"), D("11.81"))


def test_an_austrian_shop_sells_at_twenty_percent():
    vienna = shop(country="AT", city="Wien")
    item = stocked(vienna, 3, price="24.00")

    order = counter_sale(vienna, [(item, 1)])

    assert split(order.lines.get()) == (
        D("24.00"),
        D("20.00"),
        D("4.00"),
        D("20"),
        "standard",
    )
    assert (order.currency, order.tax_country) == ("EUR", "AT")


def test_an_online_delivery_from_italy_to_germany_charges_german_vat():
    depot = warehouse()  # in Italy
    item = stocked(depot, 3, price="11.90")

    order = delivery_order(lines=[(item, 1)], address={**ADDRESS, "country": "DE"})

    assert split(order.lines.get()) == (
        D("11.90"),
        D("10.00"),
        D("1.90"),
        D("19"),
        "standard",
    )
    assert (order.tax_country, order.currency) == ("DE", "EUR")


def test_below_the_oss_threshold_a_delivery_is_taxed_where_the_seller_is(settings):
    settings.OMNISTORE_OSS_THRESHOLD_REACHED = False
    seller = LegalEntity.objects.create(
        name="Omnistore S.r.l.",
        address="Via Roma 1, Milano",
        country="IT",
        vat_number="IT00743110157",
    )
    Market.objects.filter(code="EU").update(legal_entity=seller)
    item = stocked(warehouse(), 3, price="12.20")

    order = delivery_order(lines=[(item, 1)], address={**ADDRESS, "country": "DE"})

    assert split(order.lines.get()) == (
        D("12.20"),
        D("10.00"),
        D("2.20"),
        D("22"),
        "standard",
    )
    assert (order.tax_country, order.legal_entity) == ("IT", seller)


def test_a_zurich_counter_sale_is_in_francs_at_eight_point_one_percent():
    zurich = shop(country="CH", city="Zürich")
    item = stocked(zurich, 3, price="49.90")  # euro, the catalogue's price
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=item, price=D("54.05")
    )

    order = counter_sale(zurich, [(item, 1)])

    assert split(order.lines.get()) == (
        D("54.05"),
        D("50.00"),
        D("4.05"),
        D("8.1"),
        "standard",
    )
    assert (order.currency, order.total, order.tax_country) == ("CHF", D("54.05"), "CH")
    assert [p.currency for p in order.payments.all()] == ["CHF"]


def test_a_swiss_sale_of_an_item_without_a_franc_price_is_refused_whole():
    zurich = shop(country="CH")
    item = stocked(zurich, 3)

    with pytest.raises(ValidationFailed) as refused:
        counter_sale(zurich, [(item, 1)])

    assert refused.value.extra == {"lines": [f"{item.sku} has no price in CHF."]}
    assert not Order.objects.exists()


def test_a_shop_with_its_own_legal_entity_sells_in_its_name():
    entity = LegalEntity.objects.create(
        name="Omnistore Austria GmbH",
        address="Kärntner Straße 1, Wien",
        country="AT",
        vat_number="ATU12345678",
    )
    vienna = shop(country="AT", legal_entity=entity)
    order = counter_sale(vienna, [(stocked(vienna, 1, price="12.00"), 1)])
    assert Order.objects.get(pk=order.pk).legal_entity == entity
