"""The demo marketing data is ready to preview and send."""

import pytest

from campaigns.demo import seed_campaigns
from campaigns.models import Campaign, Message
from campaigns.selectors.audiences import segment_customers
from campaigns.services.campaigns import campaign_errors, schedule_campaign
from campaigns.services.sending import send_campaign
from customers.demo import seed_customers
from inventory.demo import seed_inventory
from orders.demo import seed_orders

pytestmark = pytest.mark.django_db


def test_demo_campaign_is_ready_and_sends_only_to_its_segment():
    seed_inventory(scale=1)
    seed_customers(scale=1)
    seed_orders(scale=1)
    assert seed_campaigns(scale=1) == {"segments": 2, "campaigns": 1}
    campaign = Campaign.objects.get(discount_code="WELCOME10")
    assert campaign_errors(campaign) == {}
    audience = set(segment_customers(campaign.segment).values_list("pk", flat=True))
    assert audience  # the demo has shop-only buyers with email consent
    schedule_campaign(campaign=campaign)
    send_campaign(campaign=campaign)
    assert set(Message.objects.values_list("customer_id", flat=True)) == audience
    assert seed_campaigns(scale=1) == {}
