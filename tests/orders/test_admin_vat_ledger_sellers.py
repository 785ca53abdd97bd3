"""Each seller files its own VAT return: the ledger never adds two companies' VAT
into one row, even at the same month, country, rate and currency. A delivery to
Germany sold by the Italian company under OSS and a sale at the München counter
sold by the German company are two rows, each naming its seller and VAT number,
one company's rows together, on the page and in the CSV."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.markets import forget_tax_table
from inventory.models import LegalEntity, Market
from orders.selectors.vat import vat_ledger
from tests.orders.factories import ADDRESS, delivery_order, shop, stocked, warehouse

from .test_services_taxes import counter_sale

pytestmark = pytest.mark.django_db

LEDGER = reverse("admin:orders_order_vat_ledger")


@pytest.fixture
def two_sellers_in_germany():
    """Omnistore S.p.A. sells online under OSS (a 34.70 delivery to Germany),
    Omnistore Deutschland GmbH at the München counter (a 129.00 cash sale)."""
    italy = LegalEntity.objects.create(
        name="Omnistore S.p.A.",
        address="Via Dante 7, 20121 Milano",
        country="IT",
        vat_number="IT00743110157",
    )
    germany = LegalEntity.objects.create(
        name="Omnistore Deutschland GmbH",
        address="Kaufingerstraße 1, 80331 München",
        country="DE",
        vat_number="DE136695976",
    )
    Market.objects.filter(code="EU").update(legal_entity=italy)
    forget_tax_table()
    web = delivery_order(
        lines=[(stocked(warehouse(), 3, price="34.70"), 1)],
        address={**ADDRESS, "country": "DE", "city": "Berlin"},
    )
    munich = shop(country="DE", city="München", legal_entity=germany)
    counter = counter_sale(munich, [(stocked(munich, 3, price="129.00"), 1)])
    assert (web.legal_entity, web.tax_country) == (italy, "DE")
    assert (counter.legal_entity, counter.tax_country) == (germany, "DE")
    yield web
    forget_tax_table()


def test_the_ledger_keeps_each_sellers_vat_apart(admin_client, two_sellers_in_germany):
    month = timezone.localtime(two_sellers_in_germany.created_at).strftime("%Y-%m")
    today = timezone.localdate().isoformat()

    response = admin_client.get(
        LEDGER, {"start": "2020-01-01", "end": today, "format": "csv"}
    )

    assert response.status_code == 200
    assert response.content.decode().splitlines() == [
        "seller,seller_vat_number,period,country,rate,tax_class,currency,"
        "sales_net,sales_vat,sales_gross,refunds_net,refunds_vat,refunds_gross,"
        "net,vat,gross",
        f"Omnistore Deutschland GmbH,DE136695976,{month},DE,19.00,standard,EUR,"
        "108.40,20.60,129.00,0.00,0.00,0.00,108.40,20.60,129.00",
        f"Omnistore S.p.A.,IT00743110157,{month},DE,19.00,standard,EUR,"
        "29.16,5.54,34.70,0.00,0.00,0.00,29.16,5.54,34.70",
    ]


def test_the_ledger_page_names_each_rows_seller(admin_client, two_sellers_in_germany):
    page = admin_client.get(LEDGER)

    assert page.status_code == 200
    assert [(row.seller, row.seller_vat_number) for row in page.context["rows"]] == [
        ("Omnistore Deutschland GmbH", "DE136695976"),
        ("Omnistore S.p.A.", "IT00743110157"),
    ]
    html = page.content.decode()
    assert "<th>Seller</th>" in html
    assert "Omnistore Deutschland GmbH<br><small>VAT DE136695976</small>" in html


def test_the_sellers_cost_the_ledger_no_query_more(
    two_sellers_in_germany, django_assert_num_queries
):
    """Sales, returns, cancelled parts and cancelled orders: four grouped queries,
    the seller read in each, whatever the number of sellers."""
    today = timezone.localdate()
    with django_assert_num_queries(4):
        rows = vat_ledger(start=today.replace(day=1), end=today)
    assert [row.tax for row in rows] == [Decimal("20.60"), Decimal("5.54")]
