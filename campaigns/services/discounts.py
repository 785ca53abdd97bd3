"""A campaign's discount code: checked before it goes out, then tied to it, so checkout
attributes the orders using the code to the campaign (the code itself lives in orders)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from campaigns.models import Campaign
from omnistore.core.channels import Channel
from orders.models import DiscountChannels, DiscountCode
from orders.services.discounts import discount_code_refusal, update_discount_code


def campaign_exists(campaign_id: int) -> bool:
    """Whether a discount code may name this campaign (orders asks, by id)."""
    return Campaign.objects.filter(pk=campaign_id).exists()


def _goes_out_at(campaign: Campaign) -> datetime:
    """When the customers first get the code: a broadcast's time (now when none or
    past), an automation's messages from now on."""
    now = timezone.now()
    if campaign.is_automation or campaign.send_at is None:
        return now
    return max(campaign.send_at, now)


def discount_code_problem(campaign: Campaign) -> str:
    """A campaign's code must exist, be active and belong to no other campaign: the
    code is how checkout attributes an order to the campaign. And the customers it
    goes to must be able to use it when it reaches them, by checkout's own rules: in
    its dates, with uses left, where it is valid (a code for the shops only brings
    them into a shop)."""
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
    when = _goes_out_at(campaign)
    where = Channel.STORE if code.channels == DiscountChannels.STORE else Channel.WEB
    refusal = discount_code_refusal(code, channel=where, now=when)
    if refusal:
        return (
            f"Customers could not use the discount code {code.code} when the "
            f"campaign reaches them ({timezone.localtime(when):%d %b %Y %H:%M}): "
            f"{refusal}"
        )
    return ""


def link_discount_code(campaign: Campaign, actor) -> None:
    """Tie the campaign's code to it, so orders using the code are attributed to it."""
    if campaign.discount_code:
        update_discount_code(
            code=campaign.discount_code, campaign_id=campaign.pk, actor=actor
        )
