"""Sales with a seller and VAT for the receipt and invoice tests: a legal entity, its
shop, counter sales (cash with change, exchanges) and business customers."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from customers.models import Address
from inventory.models import LegalEntity, Variant
from orders.models import (
    Order,
    OrderLine,
    OrderTaxTotal,
    PaymentMethod,
    ReturnLine,
    TillSession,
    TillSessionStatus,
)
from orders.services.till import book_counter_sale
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, ProductFactory, VariantFactory, stock
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

CENT = Decimal("0.01")
VALID_VAT = "IT00743110157"


def legal_entity(**kwargs) -> LegalEntity:
    values = {
        "name": "Omnistore Italia S.r.l.",
        "address": "Via Dante 7, 20121 Milano",
        "country": "IT",
        "vat_number": "IT12345670017",
        **kwargs,
    }
    return LegalEntity.objects.create(**values)


def entity_shop(entity: LegalEntity, **kwargs):
    values = {
        "code": "MI01",
        "name": "Milano Centro",
        "address": "Corso Vittorio Emanuele 12, Milano",
        **kwargs,
    }
    return LocationFactory(legal_entity=entity, **values)


def item(shop, name: str, sku: str, price: str, units: int = 10):
    """A product with ``units`` in stock at ``shop``; the same SKU again is the same
    product."""
    known = Variant.objects.filter(sku=sku).first()
    if known is not None:
        return known
    variant = VariantFactory(
        product=ProductFactory(name=name), sku=sku, price=Decimal(price)
    )
    stock(variant, shop, units)
    return variant


def split(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Net and VAT of a gross amount at ``rate`` percent, VAT rounded half up."""
    tax = (gross * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
    return gross - tax, tax


def tax_as_sold(order: Order, rates: dict[str, str], entity=None) -> Order:
    """Record the VAT the order was sold at: each line's rate (by SKU), net and tax,
    the totals per rate, and the seller. Checkout fills these in production; the
    tests pin them so the amounts on a receipt are known to the cent."""
    totals: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for line in OrderLine.objects.filter(order=order):
        rate = Decimal(rates[line.sku])
        net, tax = split(line.line_total, rate)
        OrderLine.objects.filter(pk=line.pk).update(
            tax_rate=rate, net=net, tax=tax, tax_class="standard"
        )
        for index, value in enumerate((net, tax, line.line_total)):
            totals[rate][index] += value
    OrderTaxTotal.objects.filter(order=order).delete()
    OrderTaxTotal.objects.bulk_create(
        OrderTaxTotal(
            order=order, tax_class="standard", rate=rate, net=net, tax=tax, gross=gross
        )
        for rate, (net, tax, gross) in totals.items()
    )
    Order.objects.filter(pk=order.pk).update(
        legal_entity=entity or order.placing_location.legal_entity,
        net_total=sum(t[0] for t in totals.values()),
        tax_total=sum(t[1] for t in totals.values()),
    )
    for row in ReturnLine.objects.filter(order_line__order=order):
        net, tax = split(row.amount, Decimal(rates[row.order_line.sku]))
        ReturnLine.objects.filter(pk=row.pk).update(net=net, tax=tax)
    return Order.objects.get(pk=order.pk)


def business(*, email="nora@example.com", phone="+393331234567", user=None):
    """A customer buying for a company, with a valid VAT number on the profile."""
    customer = make_customer(
        email=email, phone=phone, user=user, first_name="Nora", last_name="Galli"
    )
    customer.company_name, customer.vat_number = "Galli Srl", VALID_VAT
    customer.save(update_fields=["company_name", "vat_number"])
    Address.objects.create(
        customer=customer,
        line1="Via Roma 3",
        postcode="10121",
        city="Torino",
        country="IT",
        is_default=True,
    )
    return customer


def cash_sale_with_change(*, shop, associate, lines, tendered: str, **kwargs):
    """A cash sale at the counter, booked in an open till with the change given."""
    session = TillSession.objects.filter(
        register__location=shop, status=TillSessionStatus.OPEN
    ).first() or open_counter_till(associate, location=shop)
    order = counter_sale(
        store=shop,
        lines=lines,
        staff=associate,
        tenders=[(PaymentMethod.CASH, None)],
        **kwargs,
    )
    book_counter_sale(
        session=session, order=order, tendered=Decimal(tendered), actor=associate
    )
    return order
