"""A message an automation queued goes only while its trigger holds: one left queued
by a provider outage (or a pause) is skipped, with the reason, once the customer has
bought the cart it was about."""

from datetime import timedelta

import pytest

from campaigns.backends import MemoryBackend
from campaigns.models import CampaignKind, CampaignStatus, Message, MessageStatus
from campaigns.services.automations import run_automation
from tests.campaigns.factories import Shop, campaign, grant, person
from tests.campaigns.test_services_automations import cart_with
from tests.campaigns.test_services_sending import DownBackend

pytestmark = pytest.mark.django_db


def test_a_cart_bought_while_its_message_waited_is_not_nagged_about(settings):
    settings.OMNISTORE_PUSH_BACKEND = (
        "tests.campaigns.test_services_sending.DownBackend"
    )
    DownBackend.down = True
    shop = Shop()
    left, bought = person("Ada"), person("Mattia")
    grant(left, "push")
    grant(bought, "push")
    cart_with(left, shop.variant, hours_ago=6)
    bought_cart = cart_with(bought, shop.variant, hours_ago=6)
    carts = campaign(
        kind=CampaignKind.ABANDONED_CART,
        channels=("push",),
        trigger_after=timedelta(hours=4),
        templates={"push": ("Your cart", "Hi {{ first_name }}, your cart waits")},
        status=CampaignStatus.ACTIVE,
    )
    outage = run_automation(campaign=carts)
    assert outage.deferred == 2
    shop.sell_online(bought, cart=bought_cart)  # Mattia buys meanwhile

    DownBackend.down = False
    MemoryBackend.reset()
    resumed = run_automation(campaign=carts)

    assert (resumed.sent, resumed.skipped) == (1, 1)
    assert [m.to for m in MemoryBackend.outbox] == [f"customer:{left.pk}"]
    stale = Message.objects.get(customer=bought)
    assert stale.status == MessageStatus.SKIPPED
    assert stale.error == "Not sent: what triggered it no longer holds."
