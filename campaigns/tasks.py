"""Celery tasks of the campaigns app: thin, retry-safe, ids not objects."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from campaigns.selectors.sending import due_campaigns
from campaigns.services import attribution, automations, sending

logger = logging.getLogger(__name__)


@shared_task(name="campaigns.tasks.send_campaign", ignore_result=True)
def send_campaign(campaign_id: int) -> int:
    return sending.send_campaign(campaign=campaign_id).sent


@shared_task(name="campaigns.tasks.send_due_campaigns", ignore_result=True)
def send_due_campaigns() -> int:
    """One task per due campaign, so sends run side by side and retry on their own;
    one that cannot be started (or fails, where tasks run inline) is logged and the
    others still go."""
    due = due_campaigns(now=timezone.now())
    for pk in due:
        try:
            send_campaign.delay(pk)
        except Exception:  # this campaign only: the next pass tries it again
            logger.exception("campaigns: sending campaign %s failed", pk)
    return len(due)


@shared_task(name="campaigns.tasks.run_automations", ignore_result=True)
def run_automations() -> int:
    return sum(automations.run_automations().values())


@shared_task(name="campaigns.tasks.attribute_recent_orders", ignore_result=True)
def attribute_recent_orders() -> int:
    return attribution.attribute_orders(since=timezone.now() - timedelta(days=1))
