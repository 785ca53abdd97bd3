"""A scheduled broadcast or an active automation stays as ready as when it passed the
checks: an edit in the admin is checked as scheduling checks it (each reason at its
field, nothing saved), the code it now advertises is tied to it, and a campaign whose
code stopped being usable meanwhile sends nothing, the reason in its history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import CampaignKind, CampaignStatus, Message
from campaigns.services.automations import run_automation
from campaigns.services.campaigns import schedule_campaign
from campaigns.services.sending import send_campaign
from omnistore.accounts.models import Role
from orders.models import DiscountCode
from orders.services.discounts import create_discount_code, deactivate_discount_code
from tests.campaigns.factories import EVERYONE, campaign, grant, person
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


def code(name, **terms):
    return create_discount_code(
        code=name, kind="percentage", value=Decimal("10"), **terms
    )


def scheduled(discount_code="SHORT", *, hours=24):
    news = campaign(rules=EVERYONE, discount_code=discount_code)
    schedule_campaign(campaign=news, send_at=timezone.now() + timedelta(hours=hours))
    news.refresh_from_db()
    return news


def edit(client, news, **changes):
    """Post the change page of ``news`` as it is, with ``changes``."""
    local = timezone.localtime(news.send_at) if news.send_at else None
    (template,) = news.templates.all()
    history = list(news.history.all())
    data = {
        "name": news.name,
        "kind": news.kind,
        "segment": news.segment_id or "",
        "channels": news.channels,
        "discount_code": news.discount_code,
        "send_at_0": f"{local:%Y-%m-%d}" if local else "",
        "send_at_1": f"{local:%H:%M:%S}" if local else "",
        "trigger_after": "",
        "templates-TOTAL_FORMS": "1",
        "templates-INITIAL_FORMS": "1",
        "templates-0-id": template.pk,
        "templates-0-campaign": news.pk,
        "templates-0-channel": template.channel,
        "templates-0-subject": template.subject,
        "templates-0-body": template.body,
        "history-TOTAL_FORMS": str(len(history)),
        "history-INITIAL_FORMS": str(len(history)),
        **{f"history-{n}-id": row.pk for n, row in enumerate(history)},
        **{f"history-{n}-campaign": news.pk for n in range(len(history))},
    }
    if news.trigger_after:
        data["trigger_after"] = str(news.trigger_after)
    data.update(changes)
    return client.post(f"/admin/campaigns/campaign/{news.pk}/change/", data)


def test_an_expired_code_on_a_scheduled_campaign_is_refused_at_its_field(hq):
    code("SHORT", valid_until=timezone.now() + timedelta(days=2))
    code("OLD", valid_until=timezone.now() - timedelta(days=1))
    news = scheduled()

    response = edit(hq, news, discount_code="OLD")

    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["discount_code"]
    assert "Customers could not use the discount code OLD" in error
    news.refresh_from_db()
    assert news.discount_code == "SHORT"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("NOSUCHCODE", "There is no discount code NOSUCHCODE"),
        ("TAKEN", "The discount code TAKEN belongs to another campaign."),
    ],
)
def test_a_missing_code_or_another_campaigns_code_is_refused(hq, typed, reason):
    code("SHORT")
    code("TAKEN")
    scheduled("TAKEN")
    news = scheduled()

    response = edit(hq, news, discount_code=typed)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["discount_code"]
    assert errors[0].startswith(reason)
    assert DiscountCode.objects.get(code="SHORT").campaign_id == news.pk


def test_a_scheduled_campaign_keeps_a_send_time(hq):
    code("SHORT")
    news = scheduled()

    response = edit(hq, news, send_at_0="", send_at_1="")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["send_at"] == [
        "A scheduled campaign keeps its send time."
    ]


def test_a_new_valid_code_is_saved_and_tied_to_the_campaign(hq):
    code("SHORT")
    code("LONG")
    news = scheduled()

    response = edit(hq, news, discount_code="long")

    assert response.status_code == 302
    news.refresh_from_db()
    assert news.discount_code == "LONG"
    assert DiscountCode.objects.get(code="LONG").campaign_id == news.pk


def test_an_active_automation_is_checked_when_edited(hq):
    code("CART", valid_until=timezone.now() - timedelta(hours=1))
    carts = campaign(
        kind=CampaignKind.ABANDONED_CART,
        trigger_after=timedelta(hours=4),
        status=CampaignStatus.ACTIVE,
    )

    response = edit(hq, carts, discount_code="CART")

    assert response.status_code == 200
    assert "CART" in response.context["adminform"].form.errors["discount_code"][0]


def test_a_broadcast_whose_code_stopped_working_sends_nothing_and_says_why():
    buyer = person("Chiara", email=True)
    grant(buyer, "email")
    code("SHORT")
    news = scheduled(hours=-3)
    deactivate_discount_code(code="SHORT")

    result = send_campaign(campaign=news)

    assert "The discount code SHORT is not active." in result.held
    assert not mail.outbox
    assert not Message.objects.filter(status="sent").exists()
    news.refresh_from_db()
    assert news.status == CampaignStatus.DRAFT
    last = news.history.last()
    assert last.to_status == CampaignStatus.DRAFT
    assert "The discount code SHORT is not active." in last.note


def test_an_automation_whose_code_stopped_working_is_paused_with_the_reason():
    code("CART")
    carts = campaign(
        kind=CampaignKind.ABANDONED_CART,
        trigger_after=timedelta(hours=4),
        discount_code="CART",
        status=CampaignStatus.ACTIVE,
    )
    deactivate_discount_code(code="CART")

    result = run_automation(campaign=carts)

    assert "not active" in result.held
    carts.refresh_from_db()
    assert carts.status == CampaignStatus.PAUSED
    assert "The discount code CART is not active." in carts.history.last().note


def test_a_refused_edit_draws_the_history_on_record_whatever_count_is_posted(hq):
    code("SHORT")
    news = scheduled()
    rows = news.history.count()

    response = edit(
        hq, news, discount_code="NOSUCHCODE", **{"history-TOTAL_FORMS": rows + 2}
    )

    assert response.status_code == 200
    (history,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "history"
    ]
    assert rows and len(list(history)) == rows
    assert news.history.count() == rows
