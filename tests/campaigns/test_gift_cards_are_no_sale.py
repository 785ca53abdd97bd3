"""A gift card is money owed, sold when it is spent: campaigns count the goods an
order sold, never the cards (``without_gift_cards``, the sales report's rule). An
order of cards alone is no conversion, no purchase in a segment and no order to follow
up; an order of goods and a card counts its goods only."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from campaigns.models import CampaignKind, CampaignStatus, Message
from campaigns.segments.compiler import compile_rules
from campaigns.selectors.reports import campaign_report
from campaigns.services.attribution import attribute_orders
from campaigns.services.automations import run_automations
from campaigns.services.sending import send_campaign
from orders.models import Order
from orders.services.payments import refund_to_payments
from tests.campaigns.factories import (
    EVERYONE,
    Shop,
    buy_e_gift_card,
    campaign,
    grant,
    person,
)
from tests.orders.test_split_cancel_books import ship_milano_cancel_rest
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = pytest.mark.django_db


def clicked(client):
    """A customer who clicked the email of a sent campaign."""
    buyer = person("Ada")
    grant(buyer, "email")
    news = campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED)
    send_campaign(campaign=news)
    [link] = re.findall(
        r"https://shop\.example\.com(/t/c/[^\s\"<>]+)", mail.outbox[0].body
    )[:1]
    assert client.get(link).status_code == 302
    return news, buyer


def attribute():
    attribute_orders(since=timezone.now() - timedelta(days=1))


def stats_of(news):
    [stats] = campaign_report(campaign_ids=[news.pk]).campaigns
    return stats


def test_an_order_of_gift_cards_alone_is_not_attributed(client):
    news, buyer = clicked(client)
    shop = Shop(price="50.00")
    e_gift = buy_e_gift_card(buyer, amount="50.00")
    card_alone = shop.sell_gift_card(buyer, amount="30.00")
    goods_and_card = shop.sell_gift_card(buyer, amount="30.00", with_goods=True)

    attribute()

    attributed = dict(
        Order.objects.filter(
            pk__in=[e_gift.pk, card_alone.pk, goods_and_card.pk]
        ).values_list("pk", "attributed_campaign_id")
    )
    assert attributed == {
        e_gift.pk: None,
        card_alone.pk: None,
        goods_and_card.pk: news.pk,
    }


def test_the_report_counts_the_goods_an_order_sold_not_its_gift_cards(client):
    news, buyer = clicked(client)
    shop = Shop(price="50.00")
    goods_and_card = shop.sell_gift_card(buyer, amount="30.00", with_goods=True)
    assert goods_and_card.total == Decimal("80.00")
    attribute()
    # An order of cards alone attributed all the same (as an older attribution
    # left it): still no sale.
    card_alone = shop.sell_gift_card(buyer, amount="40.00")
    Order.objects.filter(pk=card_alone.pk).update(attributed_campaign_id=news.pk)

    stats = stats_of(news)

    assert (stats.conversions, stats.revenue) == (1, Decimal("50.00"))
    email = stats.by_channel["email"]
    assert (email.conversions, email.revenue) == (1, Decimal("50.00"))


def test_refunds_come_off_the_goods_and_goods_given_back_are_no_conversion(client):
    news, buyer = clicked(client)
    shop = Shop(price="50.00")
    kept = shop.sell_gift_card(buyer, amount="30.00", with_goods=True)
    given_back = shop.sell_gift_card(buyer, amount="30.00", with_goods=True)
    attribute()
    for order, amount in ((kept, "20.00"), (given_back, "50.00")):
        with transaction.atomic():
            refund_to_payments(
                order=order,
                amount=Decimal(amount),
                reason="Returned",
                reference=f"refund-{order.pk}",
            )

    stats = stats_of(news)

    assert (stats.conversions, stats.revenue) == (1, Decimal("30.00"))


@pytest.fixture
def buyers():
    """Cards alone (an e-gift card online, a card at the counter); goods and a card at
    the counter; goods online."""
    shop = Shop(price="50.00")
    cards_only, goods_and_card, online = person(), person(), person()
    buy_e_gift_card(cards_only, amount="200.00", days_ago=2)
    shop.sell_gift_card(cards_only, amount="100.00", days_ago=1)
    shop.sell_gift_card(goods_and_card, amount="30.00", with_goods=True)
    shop.sell_online(online)
    return cards_only, goods_and_card, online


def ids(rules) -> set[int]:
    return set(compile_rules(rules).values_list("pk", flat=True))


def follow_up():
    return campaign(
        kind=CampaignKind.POST_PURCHASE,
        trigger_after=timedelta(days=3),
        templates={"email": ("How is your order?", "How is {{ order.number }}?")},
        status=CampaignStatus.ACTIVE,
    )


def test_no_post_purchase_follow_up_for_an_order_of_gift_cards_alone():
    shop = Shop(price="50.00")
    cards_only, goods_and_card = person("Bea"), person("Cai")
    grant(cards_only, "email")
    grant(goods_and_card, "email")
    buy_e_gift_card(cards_only, days_ago=4)
    shop.sell_gift_card(cards_only, days_ago=4)
    order = shop.sell_gift_card(goods_and_card, days_ago=4, with_goods=True)
    mail.outbox = []
    follow_up()

    run_automations()

    assert [m.to for m in mail.outbox] == [[goods_and_card.email]]
    assert mail.outbox[0].subject == "How is your order?"
    [message] = Message.objects.all()
    assert message.trigger_key == f"order:{order.pk}"


def test_a_part_cancelled_before_it_left_comes_off_the_revenue_once(client):
    """Its refund is among the order's refunds and its lines are out of what the
    order sold: the goods that left are the revenue."""
    news, buyer = clicked(client)
    split = split_shops()
    order = split_order(split, customer=buyer)
    assert order.total == Decimal("800.00")
    attribute()
    ship_milano_cancel_rest(order, split)  # the shirt and a coat left: 240.00

    stats = stats_of(news)

    assert (stats.conversions, stats.revenue) == (1, Decimal("240.00"))
