"""An active automation's message may be rewritten in the admin, and every version is
kept (who, when, the text before): a message keeps no copy of its text, so what it
said on its day is its campaign's version then, shown on the message's page, and the
campaign's page lists the versions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignKind, CampaignStatus, Message, MessageStatus
from omnistore.accounts.models import Role
from omnistore.core.audit import BASELINE_REASON
from tests.campaigns.factories import campaign, person
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIRST = "Hi {{ first_name }}, your cart is waiting"
REWRITTEN = "Hi {{ first_name }}, enjoy 50% off everything with code FAKE50!"


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="hq", first_name="Elena", role=Role.HQ))
    return client


@pytest.fixture
def carts():
    return campaign(
        kind=CampaignKind.ABANDONED_CART,
        trigger_after=timedelta(hours=4),
        status=CampaignStatus.ACTIVE,
        templates={"email": ("Your cart", FIRST)},
    )


def sent(carts, *, days_ago: int, key: str) -> Message:
    when = timezone.now() - timedelta(days=days_ago)
    return Message.objects.create(
        campaign=carts,
        customer=person(),
        channel="email",
        trigger_key=key,
        status=MessageStatus.SENT,
        created_at=when,
        sent_at=when,
    )


def rewrite(client, carts, body: str):
    (template,) = carts.templates.all()
    history = list(carts.history.all())
    data = {
        "name": carts.name,
        "kind": carts.kind,
        "segment": "",
        "channels": carts.channels,
        "discount_code": "",
        "send_at_0": "",
        "send_at_1": "",
        "trigger_after": str(carts.trigger_after),
        "templates-TOTAL_FORMS": "1",
        "templates-INITIAL_FORMS": "1",
        "templates-0-id": template.pk,
        "templates-0-campaign": carts.pk,
        "templates-0-channel": template.channel,
        "templates-0-subject": template.subject,
        "templates-0-body": body,
        "history-TOTAL_FORMS": str(len(history)),
        "history-INITIAL_FORMS": str(len(history)),
        **{f"history-{n}-id": row.pk for n, row in enumerate(history)},
        **{f"history-{n}-campaign": carts.pk for n in range(len(history))},
    }
    return client.post(
        reverse("admin:campaigns_campaign_change", args=[carts.pk]), data
    )


def test_rewriting_an_active_automations_message_keeps_the_text_before(hq, carts):
    response = rewrite(hq, carts, REWRITTEN)

    assert response.status_code == 302
    (template,) = carts.templates.all()
    before, after = template.audit.order_by("history_id")
    assert (before.body, before.history_user) == (FIRST, None)
    assert before.history_change_reason == BASELINE_REASON
    assert (after.body, after.history_user.username) == (REWRITTEN, "hq")
    page = hq.get(reverse("admin:campaigns_campaign_change", args=[carts.pk]))
    versions = page.content.decode()
    assert "your cart is waiting" in versions and "FAKE50" in versions
    assert "As it read until then" in versions


def test_a_message_sent_before_the_rewrite_shows_what_it_said_then(hq, carts):
    earlier = sent(carts, days_ago=5, key="cart:1")
    rewrite(hq, carts, REWRITTEN)
    later = sent(carts, days_ago=0, key="cart:2")

    def said(message) -> str:
        url = reverse("admin:campaigns_message_change", args=[message.pk])
        page = hq.get(url)
        assert page.status_code == 200
        return page.content.decode()

    assert "your cart is waiting" in said(earlier)
    assert "FAKE50" not in said(earlier)
    assert "FAKE50" in said(later)


def test_a_message_of_a_text_never_changed_shows_the_text_as_it_is(hq, carts):
    message = sent(carts, days_ago=5, key="cart:1")

    page = hq.get(reverse("admin:campaigns_message_change", args=[message.pk]))

    assert "your cart is waiting" in page.content.decode()


def test_a_message_whose_text_was_removed_since_still_shows_what_it_said(hq, carts):
    message = sent(carts, days_ago=2, key="before-removal")
    (template,) = carts.templates.all()
    history = list(carts.history.all())
    switched = hq.post(
        reverse("admin:campaigns_campaign_change", args=[carts.pk]),
        {
            "name": carts.name,
            "kind": carts.kind,
            "segment": "",
            "channels": ["sms"],
            "discount_code": "",
            "send_at_0": "",
            "send_at_1": "",
            "trigger_after": str(carts.trigger_after),
            "templates-TOTAL_FORMS": "2",
            "templates-INITIAL_FORMS": "1",
            "templates-0-id": template.pk,
            "templates-0-campaign": carts.pk,
            "templates-0-channel": "email",
            "templates-0-subject": template.subject,
            "templates-0-body": template.body,
            "templates-0-DELETE": "on",
            "templates-1-campaign": carts.pk,
            "templates-1-channel": "sms",
            "templates-1-subject": "",
            "templates-1-body": "Come back {{ first_name }}",
            "history-TOTAL_FORMS": str(len(history)),
            "history-INITIAL_FORMS": str(len(history)),
            **{f"history-{n}-id": row.pk for n, row in enumerate(history)},
            **{f"history-{n}-campaign": carts.pk for n in range(len(history))},
        },
    )
    assert switched.status_code == 302
    assert not carts.templates.filter(channel="email").exists()

    page = hq.get(reverse("admin:campaigns_message_change", args=[message.pk]))

    assert FIRST in page.content.decode()
