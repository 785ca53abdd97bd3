"""Attribution of orders to the campaign clicked before them, and the report."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from campaigns.backends import MemoryBackend
from campaigns.models import CampaignStatus, Message
from campaigns.selectors.reports import campaign_report
from campaigns.services.attribution import attribute_orders
from campaigns.services.sending import send_campaign
from omnistore.accounts.models import Role
from orders.models import Order
from tests.campaigns.factories import EVERYONE, Shop, campaign, grant, person
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def click(client, text: str):
    [link] = re.findall(r"https://shop\.example\.com(/t/c/[^\s\"<>]+)", text)[:1]
    assert client.get(link).status_code == 302


def test_a_click_then_an_order_is_attributed_and_reported(client, api_client):
    shop = Shop(price="80.00")
    clicker = person("Ada", phone=True)
    grant(clicker, "email", "sms")
    reader = person("Bea", phone=True)
    grant(reader, "email")
    multi = campaign(
        rules=EVERYONE, channels=("email", "sms"), status=CampaignStatus.SCHEDULED
    )
    send_campaign(campaign=multi)
    single = campaign(
        rules=EVERYONE, channels=("email",), status=CampaignStatus.SCHEDULED
    )
    send_campaign(campaign=single)

    sms = next(m for m in MemoryBackend.outbox if m.to == clicker.phone)
    click(client, sms.body)  # Ada clicks the multi-channel SMS ...
    order = shop.sell_online(clicker, quantity=2)  # ... and buys
    earlier = shop.sell_online(reader, days_ago=1)  # Bea bought before any click
    reader_email = [m for m in mail.outbox if m.to == [reader.email]][-1]  # single
    click(client, reader_email.body)

    assert attribute_orders(since=timezone.now() - timedelta(days=2)) == 1
    assert attribute_orders(since=timezone.now() - timedelta(days=2)) == 0
    order.refresh_from_db()
    earlier.refresh_from_db()
    assert order.attributed_campaign_id == multi.pk
    assert earlier.attributed_campaign_id is None

    draft = campaign(rules=EVERYONE, name="Not sent yet")
    report = campaign_report()
    assert draft.pk not in {c.campaign_id for c in report.campaigns}
    by_id = {c.campaign_id: c for c in report.campaigns}
    multi_stats = by_id[multi.pk]
    assert multi_stats.multichannel
    assert multi_stats.conversions == 1
    assert multi_stats.revenue == Decimal("160.00")
    assert multi_stats.by_channel["sms"].conversions == 1
    assert multi_stats.by_channel["sms"].revenue == Decimal("160.00")
    assert multi_stats.by_channel["sms"].click_rate == Decimal("100.0")
    assert multi_stats.by_channel["email"].sent == 2
    assert multi_stats.by_channel["email"].click_rate == Decimal("0.0")
    assert multi_stats.sent == 3
    assert by_id[single.pk].conversions == 0
    assert by_id[single.pk].by_channel["email"].open_rate == Decimal("50.0")
    assert (report.multi.campaigns, report.multi.conversions) == (1, 1)
    assert report.multi.revenue == Decimal("160.00")
    assert (report.single.campaigns, report.single.sent, report.single.clicked) == (
        1,
        2,
        1,
    )

    api_client.force_authenticate(UserFactory(role=Role.HQ))
    body = api_client.get("/api/v1/campaigns/report/").json()
    assert body["multi_channel"]["conversions"] == 1
    assert body["multi_channel"]["revenue"] == "160.00"
    [row] = [c for c in body["campaigns"] if c["id"] == multi.pk]
    sms_row = next(ch for ch in row["channels"] if ch["channel"] == "sms")
    assert (sms_row["conversions"], sms_row["revenue"]) == (1, "160.00")


def test_a_click_outside_the_window_does_not_attribute(client, settings):
    shop = Shop()
    customer = person()
    grant(customer, "email")
    news = campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED)
    send_campaign(campaign=news)
    click(client, mail.outbox[0].body)
    Message.objects.update(
        clicked_at=timezone.now() - timedelta(days=9),
        last_clicked_at=timezone.now() - timedelta(days=9),
    )
    order = shop.sell_online(customer)
    call_command("attribute_orders", days=1)
    order.refresh_from_db()
    assert order.attributed_campaign_id is None

    settings.OMNISTORE_ATTRIBUTION_WINDOW = timedelta(days=10)
    call_command("attribute_orders", days=1)
    assert Order.objects.get(pk=order.pk).attributed_campaign_id == news.pk


def test_a_click_repeated_after_the_order_moves_no_attribution():
    shop = Shop(price="80.00")
    ada = person("Ada")
    grant(ada, "email")
    first = campaign(
        rules=EVERYONE, channels=("email",), status=CampaignStatus.SCHEDULED
    )
    send_campaign(campaign=first)
    second = campaign(
        rules=EVERYONE, channels=("email",), status=CampaignStatus.SCHEDULED
    )
    send_campaign(campaign=second)
    now = timezone.now()
    old = Message.objects.get(campaign=first, customer=ada)
    new = Message.objects.get(campaign=second, customer=ada)
    # The first campaign clicked an hour ago, the second ten minutes ago; the order
    # comes five minutes ago, then the first one's link is opened again.
    Message.objects.filter(pk=old.pk).update(
        clicked_at=now - timedelta(hours=1), last_clicked_at=now - timedelta(minutes=1)
    )
    Message.objects.filter(pk=new.pk).update(
        clicked_at=now - timedelta(minutes=10),
        last_clicked_at=now - timedelta(minutes=10),
    )
    order = shop.sell_online(ada)
    Order.objects.filter(pk=order.pk).update(created_at=now - timedelta(minutes=5))

    assert attribute_orders(since=now - timedelta(days=1), now=now) == 1
    order.refresh_from_db()
    assert order.attributed_campaign_id == second.pk
