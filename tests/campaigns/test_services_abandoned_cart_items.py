"""The abandoned-cart message speaks only of items still sold, is not sent for a cart
holding nothing else, and its ``{{ shop_url }}/cart/`` leads to the storefront."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.backends import MemoryBackend
from campaigns.models import CampaignKind, CampaignStatus, Message
from campaigns.services.automations import run_automation, run_automations
from orders.services.carts import add_cart_lines, ensure_customer_cart
from tests.campaigns.factories import Shop, campaign, grant, person
from tests.campaigns.test_services_sending import DownBackend
from tests.campaigns.test_views_tracking import tracked_targets
from tests.factories import VariantFactory, stock

pytestmark = pytest.mark.django_db

TEMPLATE = (
    "Still thinking, {{ first_name }}?",
    "{% for line in cart.lines %}{{ line.quantity }} x {{ line.name }}\n{% endfor %}"
    "Complete your order: {{ shop_url }}/cart/",
)


def retire(variant, what: str) -> None:
    """The item is no longer sold: the variant, or its whole product."""
    target = variant if what == "variant" else variant.product
    target.active = False
    target.save(update_fields=["active"])


def item(shop, name: str):
    variant = VariantFactory(product__name=name)
    stock(variant, shop.warehouse, 20)
    return variant


def left_in_cart(customer, variants, *, hours_ago=5):
    cart = ensure_customer_cart(customer=customer)
    add_cart_lines(
        cart=cart,
        lines=[(v.pk, 1) for v in variants],
        now=timezone.now() - timedelta(hours=hours_ago),
    )
    return cart


def automation():
    return campaign(
        kind=CampaignKind.ABANDONED_CART,
        trigger_after=timedelta(hours=4),
        templates={"email": TEMPLATE},
        status=CampaignStatus.ACTIVE,
    )


def customer(name="Ada"):
    found = person(name)
    grant(found, "email")
    return found


@pytest.mark.parametrize("what", ["variant", "product"])
def test_a_cart_of_items_no_longer_sold_is_not_nagged(what):
    shop = Shop()
    coat = item(shop, "Camel coat")
    left_in_cart(customer(), [coat])
    retire(coat, what)
    automation()

    run_automations()

    assert mail.outbox == []
    assert not Message.objects.exists()


@pytest.mark.parametrize("what", ["variant", "product"])
def test_only_the_items_still_sold_are_listed(what):
    shop = Shop()
    coat, scarf = item(shop, "Camel coat"), item(shop, "Silk scarf")
    left_in_cart(customer(), [coat, scarf])
    retire(coat, what)
    automation()

    run_automations()

    [email] = mail.outbox
    assert f"1 x {scarf.name}\n" in email.body
    assert "Camel coat" not in email.body


def test_a_queued_message_whose_items_were_retired_meanwhile_is_skipped(settings):
    """Queued while the coat was sold, left waiting by an outage, and the coat
    retired meanwhile: what triggered the message no longer holds."""
    settings.OMNISTORE_PUSH_BACKEND = (
        "tests.campaigns.test_services_sending.DownBackend"
    )
    DownBackend.down = True
    shop = Shop()
    coat = item(shop, "Camel coat")
    ada = person("Ada")
    grant(ada, "push")
    left_in_cart(ada, [coat])
    nudge = campaign(
        kind=CampaignKind.ABANDONED_CART,
        channels=("push",),
        trigger_after=timedelta(hours=4),
        templates={"push": ("Your cart", "Hi {{ first_name }}, your cart waits")},
        status=CampaignStatus.ACTIVE,
    )
    assert run_automation(campaign=nudge).deferred == 1
    retire(coat, "variant")

    DownBackend.down = False
    MemoryBackend.reset()
    resumed = run_automation(campaign=nudge)

    assert (resumed.sent, resumed.skipped) == (0, 1)
    assert not MemoryBackend.outbox
    assert Message.objects.get().error == "Not sent: what triggered it no longer holds."


def test_the_cart_link_leads_to_the_storefront(settings):
    settings.OMNISTORE_STOREFRONT_URL = "https://www.brand.example"
    settings.OMNISTORE_TRACKING_ALLOWED_HOSTS = ["www.brand.example"]
    shop = Shop()
    left_in_cart(customer(), [item(shop, "Silk scarf")])
    automation()

    run_automations()

    [email] = mail.outbox
    assert tracked_targets(email.body) == ["https://www.brand.example/cart/"]
    assert "shop.example.com/cart" not in email.body
