"""Finding 7: a campaign whose worker died resumes within a lease and a due-campaigns
pass (not after five minutes), and what the relay already accepted is not sent again
beyond the messages in flight."""

import time

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from tests.campaigns.factories import EVERYONE, campaign, grant, person
from tests.faults.stack import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

CUSTOMERS = 120
SUBJECT = "Winter preview"


def test_a_campaign_resumes_soon_after_its_worker_dies(stack, smtp):
    smtp.delay = 0.05  # a relay accepting about 20 messages a second
    for n in range(CUSTOMERS):
        grant(person(f"Reader{n}"), "email")
    winter = campaign(
        rules=EVERYONE, templates={"email": (SUBJECT, "Hi {{ first_name }}")}
    )
    Campaign.objects.filter(pk=winter.pk).update(
        status=CampaignStatus.SCHEDULED, send_at=timezone.now()
    )
    stack.worker()
    stack.beat(stack.tmp / "beat-schedule")  # a fresh schedule: due campaigns at once

    wait_for(lambda: smtp.count(SUBJECT) >= 30, timeout=90, what="30 messages")
    stack.kill("worker")
    killed_at = time.monotonic()
    sent_before_kill = smtp.count(SUBJECT)
    time.sleep(5)  # the worker is back 5 s later, as a supervisor restarts it
    stack.worker("worker2")
    restarted_at = time.monotonic()
    wait_for(
        lambda: smtp.count(SUBJECT) > sent_before_kill, timeout=120, what="a resume"
    )
    resumed_after = time.monotonic() - killed_at
    wait_for(
        lambda: len(smtp.per_recipient(SUBJECT)) == CUSTOMERS,
        timeout=120,
        what="every recipient",
    )
    wait_for(
        lambda: Campaign.objects.get(pk=winter.pk).status == CampaignStatus.SENT,
        timeout=60,
        what="the campaign sent",
    )

    received = smtp.per_recipient(SUBJECT)
    twice = sorted(address for address, n in received.items() if n > 1)
    lease = float(stack.env.get("OMNISTORE_CAMPAIGN_LEASE_SECONDS", "30"))
    print(
        f"\nFAULT campaign: {CUSTOMERS} recipients, {sent_before_kill} sent before the "
        f"kill, worker back after {restarted_at - killed_at:.1f} s, sending resumed "
        f"{resumed_after:.1f} s after the kill, {sum(received.values())} messages in "
        f"all, recipients sent twice: {len(twice)}"
    )
    assert resumed_after < lease + 30 + 15  # a lease, a due-campaigns pass, slack
    assert Message.objects.filter(
        campaign=winter, status=MessageStatus.SENT
    ).count() == (CUSTOMERS)
    assert len(twice) <= 1  # at most the message in flight when the worker died
