"""A campaign's discount code ties to the campaign the orders of buyers it reached,
online and at the counter."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import CampaignKind, CampaignStatus
from campaigns.selectors.reports import campaign_report
from campaigns.services.attribution import attribute_orders
from campaigns.services.campaigns import activate_automation, schedule_campaign
from campaigns.services.discounts import discount_code_problem
from campaigns.services.sending import send_campaign
from omnistore.core.exceptions import ValidationFailed
from orders.models import DiscountChannels, DiscountCode
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


def test_the_code_counts_as_a_conversion_for_a_buyer_the_campaign_reached(code):
    """Online and at the counter alike; the walk-in who showed the code at the till
    was never sent the campaign, so their order is a use of the code by others."""
    buyer = person("Lia", email=True)
    grant(buyer, "email")
    spring = campaign(
        rules=EVERYONE, discount_code="SPRING10", status=CampaignStatus.SCHEDULED
    )
    send_campaign(campaign=spring)
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
    assert attribute_orders(since=timezone.now() - timedelta(hours=1)) == 1
    online.refresh_from_db()
    in_store.refresh_from_db()
    assert (online.attributed_campaign_id, in_store.attributed_campaign_id) == (
        spring.pk,
        None,
    )
    assert online.total == Decimal("45.00") and in_store.total == Decimal("90.00")

    report = campaign_report(campaign_ids=[spring.pk])
    stats = next(row for row in report.campaigns if row.campaign_id == spring.pk)
    assert (stats.sent, stats.conversions, stats.code_used_by_others) == (1, 1, 1)
    assert stats.revenue == Decimal("45.00")
    assert DiscountCode.objects.get(code="SPRING10").times_used == 2


def _refusal(draft, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as refused:
        schedule_campaign(campaign=draft, **kwargs)
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT
    return refused.value.extra["discount_code"][0]


def test_a_code_that_expired_is_not_sent_to_customers(code):
    code.valid_until = timezone.now() - timedelta(days=4)
    code.save(update_fields=["valid_until"])
    message = _refusal(campaign(rules=EVERYONE, discount_code="SPRING10"))
    assert "SPRING10" in message and "This code expired on" in message


def test_a_code_not_yet_valid_when_the_campaign_goes_out_is_refused(code):
    soon = timezone.now() + timedelta(days=3)
    code.valid_from = soon
    code.save(update_fields=["valid_from"])
    draft = campaign(rules=EVERYONE, discount_code="SPRING10")
    assert "This code is valid from" in _refusal(draft)

    later = campaign(
        rules=EVERYONE, discount_code="SPRING10", send_at=soon + timedelta(hours=1)
    )
    schedule_campaign(campaign=later, send_at=later.send_at)
    later.refresh_from_db()
    assert later.status == CampaignStatus.SCHEDULED


def test_a_code_that_expires_before_the_send_time_is_refused(code):
    code.valid_until = timezone.now() + timedelta(days=1)
    code.save(update_fields=["valid_until"])
    draft = campaign(
        rules=EVERYONE,
        discount_code="SPRING10",
        send_at=timezone.now() + timedelta(days=2),
    )
    assert "This code expired on" in _refusal(draft, send_at=draft.send_at)


def test_a_used_up_code_is_refused(code):
    code.max_uses, code.times_used = 3, 3
    code.save(update_fields=["max_uses", "times_used"])
    draft = campaign(rules=EVERYONE, discount_code="SPRING10")
    assert "This code has been used up." in _refusal(draft)


def test_a_code_for_the_shops_only_may_be_sent_to_bring_customers_in(code):
    """An email with a code to show at the till: valid in the shops, it is judged
    there (its dates and uses still count)."""
    code.channels = DiscountChannels.STORE
    code.save(update_fields=["channels"])
    draft = campaign(rules=EVERYONE, discount_code="SPRING10")
    assert discount_code_problem(draft) == ""
    code.valid_until = timezone.now() - timedelta(minutes=1)
    code.save(update_fields=["valid_until"])
    assert "This code expired on" in _refusal(draft)


def test_an_automation_is_not_activated_with_an_expired_code(code):
    code.valid_until = timezone.now() - timedelta(minutes=1)
    code.save(update_fields=["valid_until"])
    follow_up = campaign(
        kind=CampaignKind.POST_PURCHASE,
        trigger_after=timedelta(days=1),
        discount_code="SPRING10",
    )
    with pytest.raises(ValidationFailed) as refused:
        activate_automation(campaign=follow_up)
    assert "This code expired on" in refused.value.extra["discount_code"][0]
    follow_up.refresh_from_db()
    assert follow_up.status == CampaignStatus.DRAFT
