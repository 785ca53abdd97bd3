"""Reports in net and gross per currency, and the VAT ledger for the accountant:
per month, country, rate and currency, refunds at the rate the line was sold at."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignStatus
from campaigns.selectors.reports import campaign_report
from campaigns.services.attribution import attribute_orders
from campaigns.services.sending import send_campaign
from inventory.models import PriceList, PriceListPrice, TaxClass
from orders.models import Register
from orders.selectors.reports import sales_report
from orders.services.discounts import create_discount_code
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from orders.services.till import open_till
from tests.campaigns.factories import campaign, grant, person
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked

from .test_services_taxes import counter_sale

pytestmark = pytest.mark.django_db

LEDGER = reverse("admin:orders_order_vat_ledger")


@pytest.fixture
def sales():
    """A Milan sale at two rates with one unit refunded, and a Zürich sale in CHF."""
    milan = shop(country="IT")
    zurich = shop(country="CH")
    shirt = stocked(milan, 5, price="61.00")
    pasta = stocked(milan, 5, price="11.00", product__tax_class=TaxClass.REDUCED)
    swiss = stocked(zurich, 5, price="49.90")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=swiss, price="54.05"
    )
    italian = counter_sale(milan, [(shirt, 2), (pasta, 1)])
    counter_sale(zurich, [(swiss, 1)])
    open_till(  # the cash refund leaves through the shop's open till
        register=Register.objects.create(location=milan, name="Till 1"),
        counts={Decimal("50"): 2},
        actor=StaffFactory(store=milan),
    )
    return_at_counter(
        order=italian,
        lines=[
            ReturnLineRequest(
                order_line=italian.lines.get(variant=shirt).pk, quantity=1
            )
        ],
        location=milan,
        actor=StaffFactory(store=milan),
    )
    return italian


def test_the_sales_report_keeps_each_currency_apart_in_net_and_gross(sales):
    report = sales_report()
    by_currency = {row["currency"]: row for row in report.by_channel}
    assert set(by_currency) == {"EUR", "CHF"}
    assert (by_currency["EUR"]["revenue"], by_currency["EUR"]["net"]) == (
        Decimal("133.00"),
        Decimal("110.00"),
    )
    assert (by_currency["CHF"]["revenue"], by_currency["CHF"]["net"]) == (
        Decimal("54.05"),
        Decimal("50.00"),
    )
    assert sorted(row["currency"] for row in report.by_shop) == ["CHF", "EUR"]


def test_the_vat_ledger_downloads_as_csv_per_month_country_rate_and_currency(
    admin_client, sales
):
    month = timezone.localtime(sales.created_at).strftime("%Y-%m")
    today = timezone.localdate().isoformat()

    response = admin_client.get(
        LEDGER, {"start": "2020-01-01", "end": today, "format": "csv"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    # Shops without a legal entity: sold without a seller on record.
    assert response.content.decode().splitlines() == [
        "seller,seller_vat_number,period,country,rate,tax_class,currency,"
        "sales_net,sales_vat,sales_gross,"
        "refunds_net,refunds_vat,refunds_gross,net,vat,gross",
        f",,{month},CH,8.10,standard,CHF,50.00,4.05,54.05,0.00,0.00,0.00,50.00,4.05,54.05",
        f",,{month},IT,22.00,standard,EUR,100.00,22.00,122.00,50.00,11.00,61.00,"
        "50.00,11.00,61.00",
        f",,{month},IT,10.00,reduced,EUR,10.00,1.00,11.00,0.00,0.00,0.00,10.00,1.00,11.00",
    ]


def test_the_vat_ledger_page_shows_the_period_and_refuses_a_backwards_one(
    admin_client, sales
):
    page = admin_client.get(LEDGER)
    assert page.status_code == 200
    assert len(page.context["rows"]) == 3
    assert b"Download CSV" in page.content

    refused = admin_client.get(LEDGER, {"start": "2026-02-01", "end": "2026-01-01"})
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == [
        "The period ends before it starts."
    ]
    garbled = admin_client.get(LEDGER, {"start": "yesterday", "end": "2026-13-45"})
    assert garbled.status_code == 400
    assert set(garbled.context["form"].errors) == {"start", "end"}
    open_ended = admin_client.get(LEDGER, {"start": "2026-01-01", "end": ""})
    assert open_ended.status_code == 200  # no end: today
    assert open_ended.context["form"].cleaned_data["end"] == timezone.localdate()


def test_campaign_revenue_in_francs_is_never_added_to_euros():
    create_discount_code(code="ALPS", kind="percentage", value=10)
    ada, bea = person("Ada"), person("Bea")
    grant(ada, "email")
    grant(bea, "email")
    alps = campaign(
        rules={"field": "consent.email", "op": "is_true"},
        discount_code="ALPS",
        status=CampaignStatus.SCHEDULED,
    )
    send_campaign(campaign=alps)
    milan, zurich = shop(country="IT"), shop(country="CH")
    item = stocked(milan, 5, price="20.00")
    swiss = stocked(zurich, 5, price="20.00")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=swiss, price="30.00"
    )
    counter_sale(milan, [(item, 1)], customer=ada, discount_code="ALPS")
    counter_sale(zurich, [(swiss, 1)], customer=bea, discount_code="ALPS")
    attribute_orders(since=timezone.now() - timedelta(hours=1))

    stats = next(
        row
        for row in campaign_report(campaign_ids=[alps.pk]).campaigns
        if row.campaign_id == alps.pk
    )

    assert stats.conversions == 2
    assert stats.revenue == Decimal("18.00")
    assert stats.other_revenue == {"CHF": Decimal("27.00")}


def test_the_company_ledgers_are_for_staff_who_see_every_shop(client):
    """The VAT ledger and the stored-value liability cover the whole company: a store
    manager (scoped to a shop) is refused both and is not offered the link."""
    from omnistore.accounts.models import Role
    from tests.factories import UserFactory
    from tests.orders.factories import shop as make_shop

    manager = UserFactory(
        username="marco", role=Role.STORE_MANAGER, store=make_shop(), is_staff=True
    )
    client.force_login(manager)
    for name in ("admin:orders_order_vat_ledger", "admin:orders_giftcard_liability"):
        assert client.get(reverse(name)).status_code == 403, name
        assert client.get(reverse(name), {"format": "csv"}).status_code == 403
    orders = client.get(reverse("admin:orders_order_changelist"))
    assert orders.status_code == 200
    assert reverse("admin:orders_order_vat_ledger") not in orders.content.decode()
    hq = UserFactory(username="hq-user", role=Role.HQ, is_staff=True)
    client.force_login(hq)
    assert client.get(reverse("admin:orders_order_vat_ledger")).status_code == 200
    listed = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert reverse("admin:orders_order_vat_ledger") in listed
