"""A campaign's kind is chosen in draft: once a broadcast is scheduled or an automation
activated, its kind is shown, not edited, and a change of kind posted anyway changes
nothing (never an error page)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.admin import CampaignForm
from campaigns.models import CampaignKind, CampaignStatus
from campaigns.services.campaigns import pause_automation, schedule_campaign
from omnistore.accounts.models import Role
from tests.campaigns.factories import EVERYONE, campaign, segment
from tests.campaigns.test_admin_campaign_edits import edit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


def follow_up(status=CampaignStatus.ACTIVE):
    thanks = campaign(
        kind=CampaignKind.POST_PURCHASE,
        trigger_after=timedelta(days=3),
        status=CampaignStatus.ACTIVE,
    )
    if status == CampaignStatus.PAUSED:
        pause_automation(campaign=thanks)
        thanks.refresh_from_db()
    return thanks


def news_scheduled():
    news = campaign(rules=EVERYONE)
    schedule_campaign(campaign=news, send_at=timezone.now() + timedelta(days=1))
    news.refresh_from_db()
    return news


def kind_is_editable(client, campaign_) -> bool:
    page = client.get(f"/admin/campaigns/campaign/{campaign_.pk}/change/")
    assert page.status_code == 200
    return 'name="kind"' in page.content.decode()


@pytest.mark.parametrize("status", [CampaignStatus.ACTIVE, CampaignStatus.PAUSED])
def test_an_activated_automation_posted_as_a_broadcast_stays_an_automation(hq, status):
    thanks = follow_up(status)
    audience = segment(EVERYONE)
    assert not kind_is_editable(hq, thanks)

    response = edit(hq, thanks, kind=CampaignKind.BROADCAST, segment=audience.pk)

    assert response.status_code == 302  # saved as it was: the kind is not a field
    thanks.refresh_from_db()
    assert (thanks.kind, thanks.status) == (CampaignKind.POST_PURCHASE, status)


def test_a_scheduled_broadcast_posted_as_an_automation_stays_a_broadcast(hq):
    news = news_scheduled()
    assert not kind_is_editable(hq, news)

    response = edit(hq, news, kind=CampaignKind.POST_PURCHASE)

    assert response.status_code == 302
    news.refresh_from_db()
    assert (news.kind, news.status) == (
        CampaignKind.BROADCAST,
        CampaignStatus.SCHEDULED,
    )


def test_a_draft_still_chooses_its_kind(hq):
    draft = campaign(rules=EVERYONE)
    assert kind_is_editable(hq, draft)

    response = edit(hq, draft, kind=CampaignKind.WIN_BACK, trigger_after="30 00:00:00")

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.kind == CampaignKind.WIN_BACK


@pytest.mark.parametrize(
    ("make", "kind", "extra", "says"),
    [
        (follow_up, CampaignKind.BROADCAST, {}, "stays an automation"),
        (
            news_scheduled,
            CampaignKind.POST_PURCHASE,
            {"trigger_after": "3 00:00:00"},
            "stays a broadcast",
        ),
    ],
)
def test_a_kind_that_does_not_fit_the_status_is_the_kinds_error(
    make, kind, extra, says
):
    """The rule itself, met by a form that offers the kind: an error at the kind,
    never at the status no form edits."""
    existing = make()
    audience = segment(EVERYONE)
    form = CampaignForm(
        instance=existing,
        data={
            "name": existing.name,
            "kind": kind,
            "segment": audience.pk,
            "channels": existing.channels,
            "discount_code": "",
            **extra,
        },
    )

    assert not form.is_valid()
    assert says in form.errors["kind"][0]
    assert "status" not in form.errors
