"""The Z report keeps VAT apart per seller and country, as each company files its
own return: a Milan till that sold a pickup in Vienna (taxed in Austria, sold by the
Austrian company) shows it on its own row beside the Italian sales at the same rate,
the till's own company and country first; sales of one seller in one country at
one rate add up to one row."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import LegalEntity, TaxClass
from orders.models import PaymentMethod, Register
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.till import TillBooking, open_till
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal


@pytest.fixture
def milan():
    italia = LegalEntity.objects.create(
        name="Omnistore Italia S.r.l.",
        address="Via Dante 7, 20121 Milano",
        country="IT",
        vat_number="IT12345670017",
    )
    return shop(code="MI01", name="Milano Centro", legal_entity=italia)


@pytest.fixture
def vienna():
    austria = LegalEntity.objects.create(
        name="Omnistore Austria GmbH",
        address="Kärntner Straße 1, 1010 Wien",
        country="AT",
        vat_number="ATU12345678",
    )
    return shop(
        code="VI01", name="Wien Graben", country="AT", city="Wien", legal_entity=austria
    )


@pytest.fixture
def associate(milan):
    return StaffFactory(store=milan, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def session(milan, associate):
    register = Register.objects.create(location=milan, name="Till 1")
    return open_till(register=register, counts={D("50"): 2}, actor=associate)


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


def reduced(location, price: str):
    """Goods at the reduced rate (10 % in Italy and in Austria)."""
    return stocked(location, 5, price=price, product__tax_class=TaxClass.REDUCED)


def sold_here(milan, associate, session, price: str):
    return counter_sale(
        store=milan,
        lines=[(reduced(milan, price), 1)],
        staff=associate,
        tenders=[(PaymentMethod.CASH, None)],
        till=TillBooking(session),
    )


def vat_rows(client, session) -> list[str]:
    """The Z report's VAT table as read: each row's text, tags stripped."""
    url = reverse("staff:till_report", args=[session.pk])
    page = client.get(url).content.decode()
    table = page.split('<table data-testid="z-vat">', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tbody>", 1)[1].split("<tr")[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", "<tr" + row).split()) for row in rows]


def test_a_pickup_sold_by_another_company_abroad_is_its_own_row(
    staff, milan, vienna, associate, session
):
    sold_here(milan, associate, session, "11.00")
    pickup = place_order(
        lines=[LineRequest(reduced(vienna, "22.00"), 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=vienna,
        placing_location=milan,
        staff=associate,
        email="pia@example.com",
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
        till=TillBooking(session),
    )
    assert (pickup.tax_country, pickup.legal_entity) == ("AT", vienna.legal_entity)

    assert vat_rows(staff, session) == [
        "Omnistore Italia S.r.l. (IT12345670017) · taxed in IT",
        "10.00 % 10.00 1.00 11.00",
        "Omnistore Austria GmbH (ATU12345678) · taxed in AT",
        "10.00 % 20.00 2.00 22.00",
    ]


def test_sales_of_one_seller_in_one_country_at_one_rate_are_one_row(
    staff, milan, associate, session
):
    sold_here(milan, associate, session, "11.00")
    sold_here(milan, associate, session, "33.00")

    assert vat_rows(staff, session) == [
        "Omnistore Italia S.r.l. (IT12345670017) · taxed in IT",
        "10.00 % 40.00 4.00 44.00",
    ]


def test_the_seller_is_written_as_the_figures_and_the_orders_are_counted(
    staff, milan, associate, session
):
    """The seller's row is a cell like the figures, not a table heading (set in
    grey capitals, larger than the figures on the 80 mm print): its legal name
    keeps its case. The sales total counts "1 order", "2 orders"."""
    url = reverse("staff:till_report", args=[session.pk])
    sold_here(milan, associate, session, "11.00")

    page = staff.get(url).content.decode()

    assert (
        '<tr class="z-vat-seller"><td colspan="4" data-testid="z-vat-seller">'
        "Omnistore Italia S.r.l. (IT12345670017) · taxed in IT</td></tr>"
    ) in page
    assert "<td>Sales (1 order)</td>" in page
    sold_here(milan, associate, session, "33.00")
    assert "<td>Sales (2 orders)</td>" in staff.get(url).content.decode()
