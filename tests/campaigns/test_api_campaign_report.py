"""The campaign report as a manager reads it: revenue net of refunds, the channel of
the click the attribution followed, and revenue in other currencies, per channel too."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from campaigns.models import CampaignStatus
from campaigns.services.attribution import attribute_orders
from campaigns.services.sending import send_campaign
from omnistore.accounts.models import Role
from orders.models import Order
from orders.services.checkout import LineRequest
from orders.services.exchanges import exchange_items
from orders.services.payments import refund_to_payments
from orders.services.returns import ReturnLineRequest
from tests.campaigns.factories import EVERYONE, Shop, campaign, grant, person
from tests.factories import StaffFactory, UserFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db
REPORT = "/api/v1/campaigns/report/"


@pytest.fixture
def manager(api_client):
    api_client.force_authenticate(UserFactory(role=Role.HQ))
    return api_client


def clicked(client):
    """A customer who clicked the email of a sent campaign: (campaign, customer,
    the link, to click again)."""
    buyer = person("Ada")
    grant(buyer, "email")
    news = campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED)
    send_campaign(campaign=news)
    [link] = re.findall(
        r"https://shop\.example\.com(/t/c/[^\s\"<>]+)", mail.outbox[0].body
    )[:1]
    assert client.get(link).status_code == 302
    return news, buyer, link


def attribute():
    attribute_orders(since=timezone.now() - timedelta(days=1))


def row_of(manager, news):
    body = manager.get(REPORT).json()
    [row] = [c for c in body["campaigns"] if c["id"] == news.pk]
    email = next(ch for ch in row["channels"] if ch["channel"] == "email")
    return row, email


def refund(order, amount):
    with transaction.atomic():
        refund_to_payments(
            order=order,
            amount=Decimal(amount),
            reason="Returned",
            reference=f"refund-{order.pk}",
        )


def test_refunds_come_off_the_revenue_and_a_full_refund_is_no_conversion(
    client, manager
):
    news, buyer, _ = clicked(client)
    shop = Shop(price="80.00")
    kept = shop.sell_online(buyer)
    given_back = shop.sell_online(buyer)
    attribute()
    refund(kept, "30.00")
    refund(given_back, given_back.total)

    row, email = row_of(manager, news)

    assert (row["conversions"], row["revenue"]) == (1, "50.00")
    assert (email["conversions"], email["revenue"]) == (1, "50.00")


def test_goods_exchanged_count_once_as_the_replacement_s_sale(client, manager):
    """Boots swapped for another size: the sale's revenue is given back as the
    store credit that bought the replacement, an order of its own attributed too,
    so the campaign counts 80.00 once."""
    news, buyer, _ = clicked(client)
    shop = Shop(price="80.00")
    sale = shop.sell_in_store(buyer)
    other_size = VariantFactory(price=Decimal("80.00"))
    stock(other_size, shop.store, 5)
    swap = exchange_items(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "too_small")],
        replacement=[LineRequest(other_size, 1)],
        location=shop.store,
        actor=StaffFactory(store=shop.store),
    )
    attribute()
    assert Order.objects.get(pk=swap.order.pk).attributed_campaign_id == news.pk

    row, email = row_of(manager, news)

    assert (row["conversions"], row["revenue"]) == (1, "80.00")
    assert (email["conversions"], email["revenue"]) == (1, "80.00")


def test_clicking_the_link_again_after_ordering_keeps_the_channel(client, manager):
    news, buyer, link = clicked(client)
    order = Shop(price="80.00").sell_online(buyer)
    attribute()
    assert Order.objects.get(pk=order.pk).attributed_campaign_id == news.pk
    assert client.get(link).status_code == 302  # opened again after the order

    row, email = row_of(manager, news)

    assert (row["conversions"], row["revenue"]) == (1, "80.00")
    assert (email["conversions"], email["revenue"]) == (1, "80.00")


def test_revenue_in_francs_is_shown_apart_per_campaign_and_channel(client, manager):
    news, buyer, _ = clicked(client)
    order = Shop(price="62.90").sell_online(buyer)
    Order.objects.filter(pk=order.pk).update(currency="CHF")
    attribute()

    row, email = row_of(manager, news)

    assert (row["conversions"], row["revenue"]) == (1, "0.00")
    assert row["other_revenue"] == {"CHF": "62.90"}
    assert (email["conversions"], email["revenue"]) == (1, "0.00")
    assert email["other_revenue"] == {"CHF": "62.90"}
