"""The post-purchase email recommends best sellers at their price in the customer's
market, as money: two decimals and the currency (the Swiss price list's francs for
a customer whose shop is in Zürich), whatever the database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from campaigns.models import CampaignKind, CampaignStatus
from campaigns.services.automations import run_automations
from customers.services.profiles import update_profile
from inventory.models import PriceList, PriceListPrice
from tests.campaigns.factories import Shop, campaign, grant, person
from tests.factories import CategoryFactory, LocationFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db

FOLLOW_UP = (
    "How is your order {{ order.number }}?",
    "Hi {{ first_name }},\n\nThank you for order {{ order.number }}. "
    "{% if recommendations %}You might also like:\n"
    "{% for item in recommendations %}- {{ item.name }} ({{ item.price }})\n"
    "{% endfor %}{% endif %}",
)


@pytest.fixture
def shirts():
    """A shop selling shirts, and a camp-collar shirt others bought a lot."""
    category = CategoryFactory(slug="shirts", name="Shirts")
    shop = Shop(category=category)
    camp_collar = VariantFactory(
        product__category=category,
        product__name="Linen camp-collar shirt",
        price=Decimal("59.90"),
    )
    stock(camp_collar, shop.warehouse, 50)
    for _ in range(3):
        shop.sell_online(person(), variant=camp_collar, days_ago=10)
    return shop, camp_collar


def buyer(shop, name, store):
    customer = person(name)
    update_profile(customer=customer, preferred_store=store.pk)
    grant(customer, "email")
    shop.sell_online(customer, days_ago=4)
    return customer


def follow_up():
    return campaign(
        kind=CampaignKind.POST_PURCHASE,
        trigger_after=timedelta(days=3),
        templates={"email": FOLLOW_UP},
        status=CampaignStatus.ACTIVE,
    )


def email_to(customer):
    [email] = [m for m in mail.outbox if m.to == [customer.email]]
    return email


def test_recommendations_show_the_price_as_money_in_the_customers_currency(shirts):
    shop, _camp_collar = shirts
    ada = buyer(shop, "Ada", shop.store)
    follow_up()

    run_automations()

    email = email_to(ada)
    assert "- Linen camp-collar shirt (59.90 EUR)" in email.body
    html, _mimetype = email.alternatives[0]
    assert "Linen camp-collar shirt (59.90 EUR)" in html


def test_a_customer_of_a_swiss_shop_sees_the_swiss_price_in_francs(shirts):
    shop, camp_collar = shirts
    zurich = LocationFactory(code="ZH01", country="CH", city="Zürich")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=camp_collar,
        price=Decimal("62.50"),
    )
    marco = buyer(shop, "Marco", zurich)
    ada = buyer(shop, "Ada", shop.store)
    follow_up()

    run_automations()

    assert "- Linen camp-collar shirt (62.50 CHF)" in email_to(marco).body
    assert "- Linen camp-collar shirt (59.90 EUR)" in email_to(ada).body


def test_an_item_the_swiss_price_list_leaves_out_is_not_recommended_there(shirts):
    shop, _camp_collar = shirts
    zurich = LocationFactory(code="ZH01", country="CH", city="Zürich")
    marco = buyer(shop, "Marco", zurich)
    follow_up()

    run_automations()

    assert "camp-collar" not in email_to(marco).body
