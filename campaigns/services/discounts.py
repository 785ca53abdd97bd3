"""A campaign's discount code: checked before it goes out, then tied to it, so checkout
attributes the orders using the code to the campaign (the code itself lives in orders)."""

from __future__ import annotations

from campaigns.models import Campaign
from orders.models import DiscountCode
from orders.services.discounts import update_discount_code


def campaign_exists(campaign_id: int) -> bool:
    """Whether a discount code may name this campaign (orders asks, by id)."""
    return Campaign.objects.filter(pk=campaign_id).exists()


def discount_code_problem(campaign: Campaign) -> str:
    """A campaign's code must exist, be active and belong to no other campaign: the
    code is how checkout attributes an order to the campaign."""
    if not campaign.discount_code:
        return ""
    code = DiscountCode.objects.filter(code=campaign.discount_code).first()
    if code is None:
        return (
            f"There is no discount code {campaign.discount_code}: create it under "
            "Orders › Discount codes first."
        )
    if not code.active:
        return f"The discount code {code.code} is not active."
    if code.campaign_id not in (None, campaign.pk):
        return f"The discount code {code.code} belongs to another campaign."
    return ""


def link_discount_code(campaign: Campaign, actor) -> None:
    """Tie the campaign's code to it, so orders using the code are attributed to it."""
    if campaign.discount_code:
        update_discount_code(
            code=campaign.discount_code, campaign_id=campaign.pk, actor=actor
        )
