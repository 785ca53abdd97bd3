"""A campaign's discount code ties orders to the campaign, online and at the counter."""

from decimal import Decimal

import pytest

from campaigns.models import CampaignStatus
from campaigns.selectors.reports import campaign_report
from campaigns.services.campaigns import schedule_campaign
from omnistore.core.exceptions import ValidationFailed
from orders.models import DiscountCode
from orders.services.checkout import place_order
from orders.services.discounts import create_discount_code
from orders.services.payments import PaymentRequest
from tests.campaigns.factories import campaign, grant, person
from tests.factories import LocationFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db
EVERYONE = {"field": "consent.email", "op": "is_true"}


@pytest.fixture
def code():
    return create_discount_code(code="SPRING10", kind="percentage", value=10)


def test_a_campaign_without_its_code_cannot_be_scheduled():
    draft = campaign(rules=EVERYONE, discount_code="NOPE")
    with pytest.raises(ValidationFailed) as refused:
        schedule_campaign(campaign=draft)
    assert "NOPE" in refused.value.extra["discount_code"][0]
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT


def test_a_code_belongs_to_one_campaign(code):
    first = campaign(rules=EVERYONE, discount_code="SPRING10")
    schedule_campaign(campaign=first)
    code.refresh_from_db()
    assert code.campaign_id == first.pk
    second = campaign(rules=EVERYONE, discount_code="SPRING10")
    with pytest.raises(ValidationFailed) as refused:
        schedule_campaign(campaign=second)
    assert "another campaign" in refused.value.extra["discount_code"][0]


def test_orders_with_the_code_count_as_conversions_of_the_campaign(code, api_client):
    buyer = person("Lia", email=True)
    grant(buyer, "email")
    spring = campaign(rules=EVERYONE, discount_code="SPRING10")
    schedule_campaign(campaign=spring)
    shop, shirt = LocationFactory(), VariantFactory(price=Decimal("50.00"))
    stock(shirt, shop, 5)

    online = place_order(
        lines=[(shirt, 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=shop,
        customer=buyer,
        discount_code="spring10",
        payments=[PaymentRequest(method="card_online", token="tok_visa")],
    )
    in_store = place_order(
        lines=[(shirt, 2)],
        channel="store",
        fulfilment="carry_out",
        placing_location=shop,
        discount_code="SPRING10",
        payments=[PaymentRequest(method="cash")],
    )
    assert online.attributed_campaign_id == in_store.attributed_campaign_id == spring.pk
    assert online.total == Decimal("45.00") and in_store.total == Decimal("90.00")

    report = campaign_report(campaign_ids=[spring.pk])
    stats = next(row for row in report.campaigns if row.campaign_id == spring.pk)
    assert stats.conversions == 2
    assert stats.revenue == Decimal("135.00")
    assert DiscountCode.objects.get(code="SPRING10").times_used == 2
