"""Viewed several times, not bought: one email about the product, with its stock at
the customer's preferred shop, within consents and the frequency cap."""

import importlib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import CampaignKind, CampaignStatus, Message
from campaigns.services.automations import run_automation, run_automations
from customers.models import BrowseEvent
from customers.services.browsing import store_browse_events
from customers.services.profiles import update_profile
from inventory.models import Product
from orders.services.fulfilment import cancel_order
from tests.campaigns.factories import Shop, campaign, grant, person
from tests.factories import VariantFactory, stock

pytestmark = pytest.mark.django_db

TEMPLATE = (
    "{{ viewed_item.name }} at {{ store.name }}",
    "Hi {{ first_name }}, {{ viewed_item.name }} from {{ viewed_item.price }}: "
    "{{ viewed_item.in_store }} at {{ store.name }}. https://shop.example.org/p",
)
_serial = iter(range(10**9))


def automation(*, templates=None, **kwargs):
    return campaign(
        kind=CampaignKind.VIEWED_NOT_BOUGHT,
        trigger_after=timedelta(hours=4),
        templates=templates or {"email": TEMPLATE},
        status=CampaignStatus.ACTIVE,
        **kwargs,
    )


def shopper(shop, *, email=True, tracking=True, preferred=True):
    customer = person("Ada")
    if email:
        grant(customer, "email")
    if tracking:
        grant(customer, "tracking")
    if preferred:
        update_profile(customer=customer, preferred_store=shop.store.pk)
    return customer


def viewed(customer, product, *, times=3, hours_ago=5, now=None):
    # Events name a product: a variant's id would name another product, or none.
    assert isinstance(product, Product), product
    now = now or timezone.now()
    stored = store_browse_events(
        [
            {
                "c": customer.pk,
                "p": product.pk,
                "t": (now - timedelta(hours=hours_ago, minutes=i)).isoformat(),
                "ch": "web",
                "id": f"view-{next(_serial)}",
            }
            for i in range(times)
        ],
        now=now,
    )
    assert stored == times  # none skipped as unknown or too old


def test_a_product_viewed_three_times_and_not_bought_is_messaged_once():
    shop = Shop(units=4)
    product = shop.variant.product
    customer = shopper(shop)
    viewed(customer, product)
    job = automation()

    run_automations()
    again = run_automation(campaign=job)

    [email] = mail.outbox
    assert email.to == [customer.email]
    assert email.subject == f"{product.name} at {shop.store.name}"
    assert f"{product.name} from 50.00 EUR: 4 at {shop.store.name}" in email.body
    [message] = Message.objects.filter(campaign=job)
    last = BrowseEvent.objects.filter(customer=customer).order_by("-pk").first()
    assert message.trigger_key == f"viewed:{product.pk}:{last.pk}"
    assert again.sent == 0 and again.queued == 0


def test_nobody_is_messaged_without_every_condition():
    shop = Shop()
    product = shop.variant.product
    too_few = shopper(shop)
    viewed(too_few, product, times=2)
    still_browsing = shopper(shop)
    viewed(still_browsing, product, hours_ago=1)
    bought = shopper(shop)
    viewed(bought, product)
    shop.sell_online(bought)
    no_marketing = shopper(shop, email=False)
    viewed(no_marketing, product)
    no_tracking = shopper(shop, tracking=False)
    viewed(no_tracking, product)
    no_shop = shopper(shop, preferred=False)
    viewed(no_shop, product)
    online_only = VariantFactory()
    stock(online_only, shop.warehouse, 10)
    not_in_shop = shopper(shop)
    viewed(not_in_shop, online_only.product)
    long_ago = shopper(shop)
    viewed(long_ago, product, hours_ago=8 * 24)
    job = automation()

    result = run_automation(campaign=job)

    assert result.sent == 0 and mail.outbox == []


def test_a_cancelled_order_is_no_purchase_and_the_most_viewed_product_is_chosen():
    shop = Shop()
    other = VariantFactory(product__name="Wool coat")
    stock(other, shop.store, 2)
    stock(other, shop.warehouse, 2)
    customer = shopper(shop)
    viewed(customer, shop.variant.product, times=3)
    viewed(customer, other.product, times=5, hours_ago=6)
    order = shop.sell_online(customer, variant=other)
    cancel_order(order=order, reason="Changed mind")
    automation()

    run_automations()

    [email] = mail.outbox
    assert email.subject.startswith("Wool coat")


def test_frequency_cap_per_customer_and_per_product(settings):
    settings.OMNISTORE_VIEWED_NOT_BOUGHT_CUSTOMER_CAP_DAYS = 7
    settings.OMNISTORE_VIEWED_NOT_BOUGHT_PRODUCT_CAP_DAYS = 30
    shop = Shop()
    shirt = shop.variant.product
    coat_variant = VariantFactory(product__name="Wool coat")
    stock(coat_variant, shop.store, 2)
    coat = coat_variant.product
    customer = shopper(shop)
    viewed(customer, shirt)
    job = automation()
    now = timezone.now()
    assert run_automation(campaign=job, now=now).sent == 1

    # Three days on: the coat qualifies, but one message a week at most.
    later = now + timedelta(days=3)
    viewed(customer, coat, now=later)
    assert run_automation(campaign=job, now=later).sent == 0

    # Ten days on: the coat may go; the shirt, viewed again, waits its 30 days.
    later = now + timedelta(days=10)
    viewed(customer, shirt, times=6, now=later)
    viewed(customer, coat, now=later)
    assert run_automation(campaign=job, now=later).sent == 1
    assert mail.outbox[-1].subject.startswith("Wool coat")

    later = now + timedelta(days=20)
    viewed(customer, shirt, now=later)
    assert run_automation(campaign=job, now=later).sent == 0

    later = now + timedelta(days=31)
    viewed(customer, shirt, now=later)
    assert run_automation(campaign=job, now=later).sent == 1
    assert len(mail.outbox) == 3


def test_consent_withdrawn_before_sending_skips_the_message():
    shop = Shop()
    customer = shopper(shop)
    viewed(customer, shop.variant.product)
    job = automation()
    grant(customer, "email", granted=False)

    assert run_automation(campaign=job).sent == 0
    assert mail.outbox == []


def test_the_draft_written_by_the_migration_renders_with_the_stock_in_the_shop():
    draft = importlib.import_module(
        "campaigns.migrations.0006_viewed_not_bought_automation"
    )
    shop = Shop(units=3)
    customer = shopper(shop)
    viewed(customer, shop.variant.product)
    automation(templates={"email": (draft.SUBJECT, draft.BODY)})

    run_automations()

    [email] = mail.outbox
    name, store = shop.variant.product.name, shop.store.name
    assert email.subject == f"{name} is waiting for you at {store}"
    assert f"you looked at {name} a few times. {store} has 3 in stock" in email.body
