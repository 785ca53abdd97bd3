"""Automations: abandoned cart, post-purchase, win-back, pickup reminders — each
customer messaged once per trigger."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from campaigns.backends import MemoryBackend
from campaigns.models import CampaignKind, CampaignStatus, Message, MessageStatus
from campaigns.services.automations import run_automation, run_automations
from campaigns.services.campaigns import pause_automation
from orders.models import Order
from orders.services.carts import add_cart_lines, ensure_customer_cart
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from tests.campaigns.factories import Shop, buy_e_gift_card, campaign, grant, person
from tests.factories import VariantFactory, stock

pytestmark = pytest.mark.django_db

CART_TEMPLATE = (
    "Still thinking, {{ first_name }}?",
    "{% for line in cart.lines %}{{ line.quantity }} x {{ line.name }}"
    "{% if line.only_left %} (only {{ line.only_left }} left){% endif %}\n{% endfor %}"
    "https://shop.example.org/cart",
)


def cart_with(customer, variant, *, hours_ago, quantity=1):
    cart = ensure_customer_cart(customer=customer)
    add_cart_lines(
        cart=cart,
        lines=[(variant.pk, quantity)],
        now=timezone.now() - timedelta(hours=hours_ago),
    )
    cart.refresh_from_db()
    return cart


def abandoned_cart_automation(**kwargs):
    return campaign(
        kind=CampaignKind.ABANDONED_CART,
        trigger_after=timedelta(hours=4),
        templates={"email": CART_TEMPLATE},
        status=CampaignStatus.ACTIVE,
        **kwargs,
    )


def test_abandoned_cart_fires_once_after_x_hours_and_not_for_carts_that_became_orders():
    shop = Shop()
    scarce = VariantFactory(product__name="Last linen shirt")
    stock(scarce, shop.warehouse, 2)
    left = person("Ada")
    grant(left, "email")
    left_cart = cart_with(left, scarce, hours_ago=5)
    recent = person("Bea")
    grant(recent, "email")
    cart_with(recent, shop.variant, hours_ago=1)
    bought = person("Cai")
    grant(bought, "email")
    bought_cart = cart_with(bought, shop.variant, hours_ago=6)
    shop.sell_online(bought, cart=bought_cart, now=timezone.now() - timedelta(hours=5))
    elsewhere = person("Dan")
    grant(elsewhere, "email")
    cart_with(elsewhere, shop.variant, hours_ago=6)
    shop.sell_in_store(elsewhere)  # bought in a shop since: the cart is not nagged
    no_consent = person("Eva")
    cart_with(no_consent, shop.variant, hours_ago=6)
    automation = abandoned_cart_automation()

    first = run_automations()

    [email] = mail.outbox
    assert email.to == [left.email]
    assert "1 x Last linen shirt (Blue / M) (only 2 left)" in email.body
    assert first[automation.name] == 1
    message = Message.objects.get()
    assert (message.customer_id, message.trigger_key) == (
        left.pk,
        f"cart:{left_cart.pk}",
    )

    # Hours later Ada's cart is still there: not messaged again; Bea's is now due.
    again = run_automations(now=timezone.now() + timedelta(hours=3))
    assert again[automation.name] == 1
    assert Message.objects.filter(campaign=automation).count() == 2
    assert set(
        Message.objects.filter(status=MessageStatus.SENT).values_list(
            "customer_id", flat=True
        )
    ) == {left.pk, recent.pk}
    assert len(mail.outbox) == 2


def test_a_paused_automation_sends_nothing():
    shop = Shop()
    customer = person()
    grant(customer, "email")
    cart_with(customer, shop.variant, hours_ago=10)
    automation = abandoned_cart_automation()
    pause_automation(campaign=automation)
    assert automation.name not in run_automations()
    assert not Message.objects.exists()


def test_post_purchase_follow_up_once_per_paid_order():
    shop = Shop()
    buyer = person("Ada", phone=True)
    grant(buyer, "sms")
    order = shop.sell_online(buyer, days_ago=4)
    too_old = person("Bea", phone=True)
    grant(too_old, "sms")
    shop.sell_online(too_old, days_ago=30)
    too_recent = person("Cai", phone=True)
    grant(too_recent, "sms")
    shop.sell_online(too_recent, days_ago=1)
    cancelled = person("Dan", phone=True)
    grant(cancelled, "sms")
    cancel_order(order=shop.sell_online(cancelled, days_ago=4), reason="Changed mind")
    follow_up = campaign(
        kind=CampaignKind.POST_PURCHASE,
        channels=("sms",),
        trigger_after=timedelta(days=3),
        templates={"sms": ("", "How is order {{ order.number }}, {{ first_name }}?")},
        status=CampaignStatus.ACTIVE,
    )

    run_automations()
    run_automations()

    [sms] = MemoryBackend.outbox
    assert sms.to == buyer.phone
    assert sms.body == f"How is order {order.number}, Ada?"
    assert Message.objects.get(campaign=follow_up).trigger_key == f"order:{order.pk}"


def test_win_back_after_n_days_without_purchase_and_again_after_the_next_lapse():
    shop = Shop()
    lapsed = person("Ada")
    grant(lapsed, "push")
    shop.sell_in_store(lapsed, days_ago=100)
    active = person("Bea")
    grant(active, "push")
    shop.sell_in_store(active, days_ago=100)
    shop.sell_online(active, days_ago=10)
    never = person("Cai")
    grant(never, "push")
    win_back = campaign(
        kind=CampaignKind.WIN_BACK,
        channels=("push",),
        trigger_after=timedelta(days=60),
        templates={"push": ("We miss you", "Come back, {{ first_name }}")},
        status=CampaignStatus.ACTIVE,
    )

    run_automation(campaign=win_back)
    run_automation(campaign=win_back)
    assert [m.to for m in MemoryBackend.outbox] == [f"customer:{lapsed.pk}"]

    comeback = shop.sell_in_store(lapsed, days_ago=70)
    run_automation(campaign=win_back)
    assert Message.objects.filter(customer=lapsed).count() == 2
    assert Message.objects.filter(customer=lapsed).latest("pk").trigger_key == (
        f"order:{comeback.pk}"
    )
    assert len(MemoryBackend.outbox) == 2


def test_a_segment_narrows_an_automation():
    shop = Shop()
    vip = person("Ada")
    grant(vip, "email")
    cart_with(vip, shop.variant, hours_ago=6)
    other = person("Bea")
    grant(other, "email")
    cart_with(other, shop.variant, hours_ago=6)
    abandoned_cart_automation(rules={"field": "first_name", "op": "eq", "value": "Ada"})
    run_automations()
    assert [m.to for m in mail.outbox] == [[vip.email]]


def test_run_automations_also_sends_pickup_reminders_through_the_orders_flow():
    shop = Shop()
    customer = person("Ada")
    order = place_order(
        lines=[LineRequest(shop.variant, 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=shop.store,
        customer=customer,
        payments=[PaymentRequest(method="card_online", token="tok_visa")],
    )
    mark_picked(order=order)
    mark_ready(order=order)
    order.refresh_from_db()
    due = order.pickup_expires_at - timedelta(days=1)

    sent = run_automations(now=due)
    assert sent["pickup reminders"] == 1
    assert Order.objects.get(pk=order.pk).reminder_sent_at == due
    assert run_automations(now=due)["pickup reminders"] == 0


def test_run_automations_command(capsys):
    shop = Shop()
    customer = person()
    grant(customer, "email")
    cart_with(customer, shop.variant, hours_ago=5)
    abandoned_cart_automation(name="Cart nudge")
    call_command("run_automations")
    out = capsys.readouterr().out
    assert "Cart nudge: 1" in out
    assert len(mail.outbox) == 1


def test_a_gift_card_bought_since_does_not_stand_for_the_abandoned_cart():
    """A card for someone else is no purchase of what the cart holds: the reminder
    still goes; the goods bought since stop it."""
    shop = Shop()
    gifted = person("Gia")
    grant(gifted, "email")
    cart_with(gifted, shop.variant, hours_ago=6)
    buy_e_gift_card(gifted)
    bought = person("Hal")
    grant(bought, "email")
    cart_with(bought, shop.variant, hours_ago=6)
    shop.sell_gift_card(bought, with_goods=True)
    automation = abandoned_cart_automation()

    assert run_automations()[automation.name] == 1
    assert [email.to for email in mail.outbox] == [[gifted.email]]
