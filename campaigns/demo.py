"""Demo marketing: two saved segments, an in-store/online discount code and a draft
broadcast using it, ready for a manager to preview, schedule and measure."""

from __future__ import annotations

from campaigns.channels import MessageChannel
from campaigns.models import Campaign, CampaignKind, MessageTemplate, Segment
from campaigns.selectors.audiences import segment_customers
from campaigns.services.segments import create_segment
from orders.models import DiscountCode
from orders.services.discounts import create_discount_code

STORE_ONLY = {
    "all": [
        {"field": "bought_in_store_within_days", "op": "is_true", "value": 90},
        {"field": "channels_used", "op": "eq", "value": "store_only"},
        {"field": "consent.email", "op": "is_true"},
    ]
}
EVERY_CHANNEL = {
    "all": [
        {"field": "channels_used", "op": "eq", "value": "both"},
        {"field": "consent.email", "op": "is_true"},
    ]
}
BODY = (
    "Hi {{ first_name }},\n\nthank you for shopping with us at "
    "{{ store.name|default:'our shops' }}. Our new season is online too: use code "
    "{{ discount_code }} for 10% off, on the website or at the counter.\n\n"
    "https://shop.example.org/new-season"
)


def seed_campaigns(*, scale: int = 1, stdout=None) -> dict[str, int]:
    say = (lambda text: stdout.write(text + "\n")) if stdout else (lambda text: None)
    if Segment.objects.exists():
        say("Campaigns: demo data already present, skipped.")
        return {}
    store_only = create_segment(
        name="Shop buyers, never online (90 days)",
        rules=STORE_ONLY,
        description="Bought in a shop in the last 90 days, never online, email consent.",
    )
    create_segment(name="Buy online and in shops", rules=EVERY_CHANNEL)
    if not DiscountCode.objects.filter(code="WELCOME10").exists():
        create_discount_code(
            code="WELCOME10", kind="percentage", value=10, max_uses_per_customer=1
        )
    campaign = Campaign.objects.create(
        name="New season: shop buyers online",
        kind=CampaignKind.BROADCAST,
        segment=store_only,
        channels=[MessageChannel.EMAIL],
        discount_code="WELCOME10",
    )
    MessageTemplate.objects.create(
        campaign=campaign,
        channel=MessageChannel.EMAIL,
        subject="{{ first_name }}, 10% off online and in store",
        body=BODY,
    )
    audience = segment_customers(store_only).count()
    say(
        f"Campaigns: 2 segments ({audience} customers in the first), "
        "code WELCOME10, 1 draft broadcast."
    )
    return {"segments": 2, "campaigns": 1}
