"""Several automations of one kind: each customer hears once about one event."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.backends import MemoryBackend
from campaigns.models import CampaignKind, CampaignStatus, Message, MessageStatus
from campaigns.services.automations import (
    TOLD_BY_ANOTHER,
    run_automation,
    run_automations,
)
from campaigns.services.common import release_lease, take_lease
from tests.campaigns.factories import Shop, campaign, grant, person

pytestmark = pytest.mark.django_db


def thank_you(name: str, *, channels=("email",), rules=None):
    return campaign(
        name=name,
        kind=CampaignKind.POST_PURCHASE,
        channels=channels,
        rules=rules,
        trigger_after=timedelta(days=3),
        templates={
            "email": (f"{name}: thank you", "Thank you for {{ order.number }}"),
            "sms": ("", f"{name}: thank you for {{{{ order.number }}}}"),
        },
        status=CampaignStatus.ACTIVE,
    )


def buyers(shop: Shop, count: int):
    people = []
    for n in range(count):
        customer = person(f"Buyer{n}", phone=True)
        grant(customer, "email", "sms")
        order = shop.sell_online(customer, days_ago=4)
        people.append((customer, order))
    return people


def test_two_post_purchase_automations_thank_each_customer_once_per_order():
    shop = Shop()
    bought = buyers(shop, 8)
    first = thank_you("PP A")
    second = thank_you("PP B", channels=("email", "sms"))

    sent = run_automations()

    assert sent == {"PP A": 8, "PP B": 0, "pickup reminders": 0}
    assert run_automations() == {"PP A": 0, "PP B": 0, "pickup reminders": 0}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c, _ in bought)
    assert {m.subject for m in mail.outbox} == {"PP A: thank you"}
    assert not MemoryBackend.outbox
    told = Message.objects.filter(campaign=second)
    assert told.count() == 16
    assert set(told.values_list("status", "error")) == {
        (MessageStatus.SKIPPED, TOLD_BY_ANOTHER)
    }
    assert set(
        Message.objects.filter(campaign=first).values_list("customer", "trigger_key")
    ) == {(c.pk, f"order:{o.pk}") for c, o in bought}


def test_a_narrower_automation_of_the_kind_speaks_before_the_one_for_everyone():
    shop = Shop()
    [(vip, _), (other, _)] = buyers(shop, 2)
    thank_you("Everyone")
    thank_you(
        "VIPs", rules={"field": "first_name", "op": "eq", "value": vip.first_name}
    )

    run_automations()

    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {
        vip.email: "VIPs: thank you",
        other.email: "Everyone: thank you",
    }


def test_an_automation_waits_while_another_of_its_kind_is_running():
    shop = Shop()
    buyers(shop, 1)
    first = thank_you("PP A")
    second = thank_you("PP B")
    running = take_lease(first.pk, statuses=[CampaignStatus.ACTIVE], now=timezone.now())
    try:
        assert run_automation(campaign=second).busy
        assert not Message.objects.exists()
    finally:
        release_lease(running)

    assert run_automation(campaign=second).sent == 1
    assert run_automation(campaign=first).sent == 0
    assert [m.subject for m in mail.outbox] == ["PP B: thank you"]
