"""The post-purchase follow-up reaches a customer at most once a day: of orders placed
together, the latest is followed up; an order due the day another one's follow-up
went waits a day."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import CampaignKind, CampaignStatus, Message, MessageStatus
from campaigns.services.automations import run_automations
from tests.campaigns.factories import Shop, campaign, grant, person

pytestmark = pytest.mark.django_db


def follow_up(**kwargs):
    return campaign(
        kind=CampaignKind.POST_PURCHASE,
        trigger_after=timedelta(days=3),
        templates={"email": ("How is your order?", "How is {{ order.number }}?")},
        status=CampaignStatus.ACTIVE,
        **kwargs,
    )


def sent_to(customer) -> list[str]:
    return list(
        Message.objects.filter(customer=customer, status=MessageStatus.SENT)
        .order_by("pk")
        .values_list("trigger_key", flat=True)
    )


@pytest.fixture
def buyer():
    customer = person("Ada")
    grant(customer, "email")
    return customer


def test_four_orders_within_seconds_are_followed_up_once(buyer):
    shop = Shop()
    placed = timezone.now() - timedelta(days=4)
    orders = [
        shop.sell_online(buyer, now=placed + timedelta(seconds=n)) for n in range(4)
    ]
    mail.outbox = []
    follow_up()

    run_automations()
    run_automations()

    assert [m.to for m in mail.outbox] == [[buyer.email]]
    assert sent_to(buyer) == [f"order:{orders[-1].pk}"]


def test_an_order_due_the_same_day_waits_a_day_then_is_followed_up(buyer):
    shop = Shop()
    now = timezone.now()
    first = shop.sell_online(buyer, now=now - timedelta(days=3, hours=2))
    second = shop.sell_online(buyer, now=now - timedelta(days=3) + timedelta(hours=5))
    other = person("Bea")
    grant(other, "email")
    hers = shop.sell_online(other, now=now - timedelta(days=3) + timedelta(hours=5))
    mail.outbox = []
    follow_up()

    run_automations(now=now)  # the first order is due
    run_automations(now=now + timedelta(hours=6))  # the second too: not today
    assert sent_to(buyer) == [f"order:{first.pk}"]
    assert sent_to(other) == [f"order:{hers.pk}"]  # others are not held back

    run_automations(now=now + timedelta(days=1, hours=1))

    assert sent_to(buyer) == [f"order:{first.pk}", f"order:{second.pk}"]
    assert len(mail.outbox) == 3


def test_two_follow_ups_of_the_kind_still_speak_once_about_the_latest_order(buyer):
    shop = Shop()
    placed = timezone.now() - timedelta(days=4)
    orders = [
        shop.sell_online(buyer, now=placed + timedelta(seconds=n)) for n in range(2)
    ]
    mail.outbox = []
    everyone = follow_up(name="Thanks, everyone")
    narrowed = follow_up(
        name="Thanks, VIP",
        rules={"field": "orders_count", "op": "gte", "value": 1},
    )

    run_automations()

    assert [m.to for m in mail.outbox] == [[buyer.email]]
    [message] = Message.objects.filter(status=MessageStatus.SENT)
    assert (message.campaign_id, message.trigger_key) == (
        narrowed.pk,
        f"order:{orders[-1].pk}",
    )
    assert not Message.objects.filter(
        campaign=everyone, status=MessageStatus.SENT
    ).exists()
