"""The campaign lifecycle: readiness, scheduling and cancelling broadcasts, activating
and pausing automations."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import signature
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from campaigns.channels import MessageChannel
from campaigns.models import Campaign, CampaignKind, CampaignStatus
from campaigns.rendering import template_errors
from campaigns.services.common import lock_campaign, record_status
from campaigns.services.discounts import discount_code_problem, link_discount_code
from omnistore.core.exceptions import Conflict, IllegalTransition, ValidationFailed

logger = logging.getLogger(__name__)

SEND_TASK = "campaigns.tasks.send_campaign"


def _label(channel) -> str:
    return (
        MessageChannel(channel).label if channel in MessageChannel.values else channel
    )


def unwritten_messages(channels, written) -> list[str]:
    """A line for each channel the campaign sends on with no message ``written`` for
    it: nothing could go out there."""
    return [
        f"Write the {_label(channel)} message, or untick {_label(channel)} among "
        "the channels."
        for channel in channels or []
        if channel not in written
    ]


def campaign_errors(campaign: Campaign) -> dict[str, list[str]]:
    """What keeps a campaign from going out (empty when it is ready)."""
    errors: dict[str, list[str]] = {}
    try:
        campaign.clean()
    except DjangoValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    templates = {t.channel: t for t in campaign.templates.all()}
    unwritten = unwritten_messages(campaign.channels, templates)
    if unwritten:
        errors["templates"] = unwritten
    for channel in campaign.channels or []:
        template = templates.get(channel)
        if template is None:
            continue
        problems = template_errors(
            channel=channel, subject=template.subject, body=template.body
        )
        for name, messages in problems.items():
            errors.setdefault("templates", []).extend(
                f"{MessageChannel(channel).label} {name}: {m}" for m in messages
            )
    problem = discount_code_problem(campaign)
    if problem:
        errors.setdefault("discount_code", []).append(problem)
    return errors


def _require_ready(campaign: Campaign) -> None:
    errors = campaign_errors(campaign)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"The campaign is not ready: {first}", extra=errors)


def _kick_send(campaign_id: int) -> None:
    """Start the send task, named rather than imported: tasks call services, never
    the other way round."""
    try:
        signature(SEND_TASK, args=(campaign_id,)).delay()
    except (BrokerError, OSError) as error:  # the periodic task sends due campaigns
        logger.warning(
            "campaigns: broker unavailable (%r), the beat task will send", error
        )
    except Exception:  # the send itself, where tasks run inline: resumed by beat
        logger.exception("campaigns: sending campaign %s failed", campaign_id)


@transaction.atomic
def schedule_campaign(
    *, campaign: Campaign | int, send_at: datetime | None = None, actor=None
) -> Campaign:
    """Draft → scheduled, to go out at ``send_at`` (now when omitted)."""
    campaign = lock_campaign(campaign)
    if campaign.kind != CampaignKind.BROADCAST:
        raise Conflict("Automations are activated, not scheduled.")
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise IllegalTransition(
            obj=f"Campaign {campaign.name}",
            current=campaign.status,
            target=CampaignStatus.SCHEDULED,
        )
    _require_ready(campaign)
    link_discount_code(campaign, actor)
    now = timezone.now()
    campaign.send_at = send_at or now
    note = f"To send at {timezone.localtime(campaign.send_at):%Y-%m-%d %H:%M}"
    record_status(campaign, CampaignStatus.SCHEDULED, actor=actor, note=note)
    campaign.save(update_fields=["send_at", "status", "updated_at"])
    if campaign.send_at <= now:
        transaction.on_commit(lambda: _kick_send(campaign.pk))
    return campaign


@transaction.atomic
def cancel_campaign(
    *, campaign: Campaign | int, actor=None, note: str = ""
) -> Campaign:
    """A scheduled campaign, or one being sent (it stops after the current batch)."""
    campaign = lock_campaign(campaign)
    allowed = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
    if campaign.kind != CampaignKind.BROADCAST or campaign.status not in allowed:
        raise IllegalTransition(
            obj=f"Campaign {campaign.name}",
            current=campaign.status,
            target=CampaignStatus.CANCELLED,
        )
    record_status(campaign, CampaignStatus.CANCELLED, actor=actor, note=note)
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def activate_automation(*, campaign: Campaign | int, actor=None) -> Campaign:
    campaign = lock_campaign(campaign)
    if not campaign.is_automation:
        raise Conflict("Only automations are activated; schedule a broadcast.")
    if campaign.status == CampaignStatus.ACTIVE:
        return campaign
    _require_ready(campaign)
    link_discount_code(campaign, actor)
    record_status(campaign, CampaignStatus.ACTIVE, actor=actor)
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


# Statuses whose campaign has passed the checks and waits to send: an edit is checked
# again as scheduling or activating would check it.
CHECKED_STATUSES = (CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE)


def edit_problems(campaign: Campaign) -> dict[str, list[str]]:
    """What a change to ``campaign`` (not saved yet) would leave unready: nothing for
    a draft; for a scheduled broadcast or an active automation, the checks it passed
    to get there (a scheduled broadcast keeps a send time)."""
    if campaign.pk is None or campaign.status not in CHECKED_STATUSES:
        return {}
    errors: dict[str, list[str]] = {}
    problem = discount_code_problem(campaign)
    if problem:
        errors["discount_code"] = [problem]
    if campaign.kind == CampaignKind.BROADCAST and campaign.send_at is None:
        errors["send_at"] = ["A scheduled campaign keeps its send time."]
    return errors


@transaction.atomic
def confirm_campaign_edit(*, campaign: Campaign | int, actor=None) -> Campaign:
    """After an edit of a scheduled broadcast or an active automation: checked as
    scheduling checks it, and its discount code tied to it, so orders using the code
    it now advertises are attributed to it."""
    campaign = lock_campaign(campaign)
    if campaign.status in CHECKED_STATUSES:
        _require_ready(campaign)
        link_discount_code(campaign, actor)
    return campaign


def hold_if_unready(campaign: Campaign) -> str:
    """Checked again right before messages leave: a campaign whose code has expired,
    been used up, deactivated or taken by another campaign since it was scheduled
    or activated sends nothing; a broadcast goes back to draft and an automation is
    paused, the reason in its status history. Returns the reason ("" when ready)."""
    with transaction.atomic():
        campaign = lock_campaign(campaign)
        reason = discount_code_problem(campaign)
        if not reason:
            return ""
        target = (
            CampaignStatus.PAUSED if campaign.is_automation else CampaignStatus.DRAFT
        )
        record_status(campaign, target, note=f"Not sent: {reason}")
        campaign.save(update_fields=["status", "updated_at"])
    logger.warning("campaigns: campaign %s held back: %s", campaign.pk, reason)
    return reason


@transaction.atomic
def pause_automation(*, campaign: Campaign | int, actor=None) -> Campaign:
    campaign = lock_campaign(campaign)
    if not campaign.is_automation:
        raise Conflict("Only automations are paused.")
    if campaign.status != CampaignStatus.ACTIVE:
        return campaign
    record_status(campaign, CampaignStatus.PAUSED, actor=actor)
    campaign.save(update_fields=["status", "updated_at"])
    return campaign
