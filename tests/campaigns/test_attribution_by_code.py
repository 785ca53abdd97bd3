"""A campaign's discount code brings it the orders of buyers it sent a message within
the attribution window, reported under the channel of its latest message before the
order; a code passed on to others is shown apart in the report."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import CampaignStatus, Message
from campaigns.selectors.reports import campaign_report
from campaigns.services.attribution import attribute_orders
from campaigns.services.sending import send_campaign
from customers.services.merge import merge_customers
from omnistore.accounts.models import Role
from orders.models import Order
from orders.services.checkout import LineRequest, place_order
from orders.services.discounts import create_discount_code
from orders.services.payments import PaymentRequest
from tests.campaigns.factories import ADDRESS, Shop, campaign, grant, person
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
CONSENTED = {"field": "consent.email", "op": "is_true"}
REPORT = "/api/v1/campaigns/report/"


@pytest.fixture
def shop():
    return Shop(price="50.00")


@pytest.fixture
def spring():
    """A broadcast with code SPRING10 sent to Lia alone: (campaign, Lia)."""
    create_discount_code(code="SPRING10", kind="percentage", value=10)
    lia = person("Lia")
    grant(lia, "email")
    news = campaign(
        rules=CONSENTED, discount_code="SPRING10", status=CampaignStatus.SCHEDULED
    )
    send_campaign(campaign=news)
    assert Message.objects.filter(campaign=news).count() == 1
    return news, lia


def online(shop, customer=None, *, now=None, **contact):
    """An order online with the code: a signed-in customer's, or a guest's by
    ``contact``."""
    return place_order(
        lines=[LineRequest(shop.variant, 1)],
        channel="web",
        fulfilment="delivery",
        address=ADDRESS,
        customer=customer,
        discount_code="spring10",
        payments=[PaymentRequest(method="card_online", token="tok_visa")],
        now=now,
        **contact,
    )


def at_the_counter(shop):
    """A walk-in showing the code at the till: no profile."""
    return place_order(
        lines=[LineRequest(shop.variant, 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=shop.store,
        staff=StaffFactory(store=shop.store),
        discount_code="SPRING10",
        payments=[PaymentRequest(method="cash")],
    )


def attribute() -> int:
    return attribute_orders(since=timezone.now() - timedelta(days=2))


def credited(*orders) -> list:
    return [Order.objects.get(pk=o.pk).attributed_campaign_id for o in orders]


def stats_of(news):
    [stats] = campaign_report(campaign_ids=[news.pk]).campaigns
    return stats


def test_a_code_used_by_people_the_campaign_never_reached_is_no_conversion(
    spring, shop, client, api_client
):
    news, _ = spring
    signed_in = online(shop, person("Noa"))
    guest = online(shop, email="friend@example.com", first_name="Eva")
    walk_in = at_the_counter(shop)
    assert guest.customer_id is not None and walk_in.customer_id is None

    assert attribute() == 0
    assert credited(signed_in, guest, walk_in) == [None, None, None]

    stats = stats_of(news)
    assert (stats.sent, stats.conversions, stats.code_used_by_others) == (1, 0, 3)
    assert (stats.revenue, stats.conversion_rate) == (Decimal("0.00"), Decimal("0.0"))

    api_client.force_authenticate(UserFactory(role=Role.HQ))
    [row] = [
        c for c in api_client.get(REPORT).json()["campaigns"] if c["id"] == news.pk
    ]
    assert (row["conversions"], row["code_used_by_others"]) == (0, 3)

    client.force_login(
        UserFactory(role=Role.HQ, is_staff=True, is_superuser=True, username="hq")
    )
    page = client.get("/admin/campaigns/campaign/report/", {"campaign": news.pk})
    assert "Code used by others: 3 orders" in page.content.decode()


def test_a_buyer_the_campaign_reached_converts_once_however_often_they_order(
    spring, shop
):
    """Sent 1, orders 2: one conversion (100 %), the revenue of both. An order placed
    before the message went out was not brought by it."""
    news, lia = spring
    before = online(shop, lia, now=timezone.now() - timedelta(days=1))
    first, second = online(shop, lia), online(shop, lia)

    assert attribute() == 2
    assert credited(before, first, second) == [None, news.pk, news.pk]

    stats = stats_of(news)
    assert (stats.sent, stats.conversions, stats.conversion_rate) == (
        1,
        1,
        Decimal("100.0"),
    )
    assert stats.revenue == Decimal("90.00")
    assert stats.code_used_by_others == 1  # the order before the message


def test_a_code_used_after_the_window_brings_the_campaign_nothing(
    spring, shop, settings
):
    news, lia = spring
    Message.objects.filter(campaign=news).update(
        sent_at=timezone.now() - timedelta(days=9)
    )
    order = online(shop, lia)

    assert attribute() == 0
    assert credited(order) == [None]
    stats = stats_of(news)
    assert (stats.conversions, stats.code_used_by_others) == (0, 0)  # she was reached

    settings.OMNISTORE_ATTRIBUTION_WINDOW = timedelta(days=10)
    assert attribute() == 1
    assert credited(order) == [news.pk]


def test_a_click_on_another_campaign_within_the_window_wins_over_the_code(
    spring, shop, client
):
    news, lia = spring
    cart = campaign(rules=CONSENTED, status=CampaignStatus.SCHEDULED)
    send_campaign(campaign=cart)
    [link] = re.findall(
        r"https://shop\.example\.com(/t/c/[^\s\"<>]+)", mail.outbox[-1].body
    )[:1]
    assert client.get(link).status_code == 302
    order = online(shop, lia)

    assert attribute() == 1
    assert credited(order) == [cart.pk]
    stats = stats_of(news)
    assert (stats.conversions, stats.code_used_by_others) == (0, 0)


def test_attributing_again_changes_nothing(spring, shop):
    news, lia = spring
    orders = [online(shop, lia), online(shop, person("Noa")), at_the_counter(shop)]

    assert attribute() == 1
    assert attribute() == 0
    assert credited(*orders) == [news.pk, None, None]


def test_an_order_of_a_profile_merged_into_the_one_reached_is_attributed(spring, shop):
    news, lia = spring
    order = online(shop, email="lia.other@example.com", first_name="Lia")
    merge_customers(
        survivor=lia, other=order.customer, actor=StaffFactory(role=Role.HQ)
    )

    assert attribute() == 1
    assert credited(order) == [news.pk]


def test_an_order_credited_though_its_buyer_was_never_reached_is_no_conversion(
    spring, shop
):
    """Conversions never exceed the messages sent, whatever credited the order."""
    news, _ = spring
    walk_in = at_the_counter(shop)
    Order.objects.filter(pk=walk_in.pk).update(attributed_campaign_id=news.pk)

    stats = stats_of(news)
    assert (stats.sent, stats.conversions, stats.code_used_by_others) == (1, 0, 1)
    assert stats.revenue == Decimal("0.00")


def channel_rows(api_client, news):
    """The campaign's row of the report as the API shows it, and its channel rows."""
    api_client.force_authenticate(UserFactory(role=Role.HQ))
    [row] = [
        c for c in api_client.get(REPORT).json()["campaigns"] if c["id"] == news.pk
    ]
    return row, {ch["channel"]: ch for ch in row["channels"]}


def test_a_conversion_its_code_brought_counts_under_the_channel_of_its_message(
    spring, shop, api_client
):
    """Lia clicked nothing: she checks out as a guest with her address and the
    code. The campaign's one channel gets the conversion and its revenue, so the
    campaign's totals are the sum of its channel rows."""
    news, lia = spring
    order = online(shop, email=lia.email, first_name="Lia")
    assert order.customer_id == lia.pk

    assert attribute() == 1
    assert credited(order) == [news.pk]

    row, channels = channel_rows(api_client, news)
    assert (row["conversions"], row["revenue"]) == (1, "45.00")
    assert list(channels) == ["email"]
    assert (channels["email"]["conversions"], channels["email"]["revenue"]) == (
        1,
        "45.00",
    )
    stats = stats_of(news)
    assert stats.conversions == sum(s.conversions for s in stats.by_channel.values())
    assert stats.revenue == sum(s.revenue for s in stats.by_channel.values())


@pytest.mark.parametrize(
    ("ordered_minutes_ago", "credited_to", "not_credited"),
    [(90, "email", "sms"), (0, "sms", "email")],
)
def test_with_no_click_the_latest_message_sent_before_the_order_takes_it(
    shop, api_client, ordered_minutes_ago, credited_to, not_credited
):
    """Email two hours ago, SMS one hour ago: an order with the code ninety minutes
    ago goes to the email, the last to reach her by then; one placed now, to the
    SMS."""
    create_discount_code(code="SPRING10", kind="percentage", value=10)
    lia = person("Lia", phone=True)
    grant(lia, "email", "sms")
    news = campaign(
        rules=CONSENTED,
        channels=("email", "sms"),
        discount_code="SPRING10",
        status=CampaignStatus.SCHEDULED,
    )
    send_campaign(campaign=news)
    now = timezone.now()
    for channel, hours in (("email", 2), ("sms", 1)):
        Message.objects.filter(campaign=news, channel=channel).update(
            sent_at=now - timedelta(hours=hours)
        )
    online(shop, lia, now=now - timedelta(minutes=ordered_minutes_ago))

    assert attribute() == 1

    row, channels = channel_rows(api_client, news)
    assert (row["conversions"], row["revenue"]) == (1, "45.00")
    credited_row, other = channels[credited_to], channels[not_credited]
    assert (credited_row["conversions"], credited_row["revenue"]) == (1, "45.00")
    assert (other["conversions"], other["revenue"]) == (0, "0.00")


@pytest.mark.parametrize("others", [1, 3])
def test_the_report_costs_a_fixed_number_of_queries_however_many_used_the_code(
    spring, shop, others, django_assert_num_queries
):
    news, lia = spring
    online(shop, lia)
    for _ in range(others):
        at_the_counter(shop)
    attribute()

    # Campaigns, messages, attributed orders, their refunds (two), the channels
    # they are credited to, the uses of the codes by others.
    with django_assert_num_queries(7):
        stats = stats_of(news)
    assert (stats.conversions, stats.code_used_by_others) == (1, others)
