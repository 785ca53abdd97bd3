"""Price-drop messages sent before their keys carried the currency: each takes the
currency of its customer's market."""

from importlib import import_module

import pytest
from django.apps import apps

from campaigns.models import CampaignKind, Message, MessageStatus
from customers.services.profiles import update_profile
from inventory.models import Market
from tests.campaigns.factories import campaign, person
from tests.factories import LocationFactory, VariantFactory

pytestmark = pytest.mark.django_db

migration = import_module("campaigns.migrations.0012_price_drops_keyed_by_currency")
key_by_currency = migration.key_by_currency
key_without_currency = migration.key_without_currency


def shopper(name, shop=None):
    customer = person(name)
    if shop is not None:
        update_profile(customer=customer, preferred_store=shop.pk)
    return customer


def sent(automation, customer, key, channel="email"):
    return Message.objects.create(
        campaign=automation,
        customer=customer,
        channel=channel,
        trigger_key=key,
        status=MessageStatus.SENT,
    )


def keys(messages):
    return {
        name: Message.objects.get(pk=message.pk).trigger_key
        for name, message in messages.items()
    }


def test_an_old_drop_takes_the_currency_of_its_customers_market():
    coat = VariantFactory()
    drop = campaign(kind=CampaignKind.PRICE_DROP)
    restock = campaign(kind=CampaignKind.BACK_IN_STOCK)
    vaduz = LocationFactory(code="VA01", country="LI", city="Vaduz")
    swiss_vaduz = LocationFactory(
        code="VA02", country="LI", city="Vaduz", market=Market.objects.get(code="CH")
    )
    ada = shopper("Ada", LocationFactory(code="MI01", country="IT"))
    marco = shopper("Marco", LocationFactory(code="ZH01", country="CH"))
    old = f"drop:{coat.pk}:150.00"
    messages = {
        "milan": sent(drop, ada, old),
        "zurich": sent(drop, marco, old),
        "zurich_sms": sent(drop, marco, old, channel="sms"),
        "no_shop": sent(drop, shopper("Bea"), old),
        "outside_every_market": sent(drop, shopper("Nina", vaduz), old),
        "shop_of_the_swiss_market": sent(drop, shopper("Ugo", swiss_vaduz), old),
        "already_new": sent(drop, ada, f"drop:{coat.pk}:CHF:120.00"),
        "restock": sent(restock, marco, f"restock:{coat.pk}:3"),
    }

    key_by_currency(apps, None)

    assert keys(messages) == {
        "milan": f"drop:{coat.pk}:EUR:150.00",
        "zurich": f"drop:{coat.pk}:CHF:150.00",
        "zurich_sms": f"drop:{coat.pk}:CHF:150.00",
        "no_shop": f"drop:{coat.pk}:EUR:150.00",
        "outside_every_market": f"drop:{coat.pk}:EUR:150.00",
        "shop_of_the_swiss_market": f"drop:{coat.pk}:CHF:150.00",
        "already_new": f"drop:{coat.pk}:CHF:120.00",
        "restock": f"restock:{coat.pk}:3",
    }


def test_going_back_drops_the_currency_and_keeps_one_key_each():
    """80.00 told in francs and in euros on one channel: the second reads back as
    the same price under a key of its own."""
    coat = VariantFactory()
    drop = campaign(kind=CampaignKind.PRICE_DROP)
    marco = shopper("Marco", LocationFactory(code="ZH01", country="CH"))
    messages = {
        "francs": sent(drop, marco, f"drop:{coat.pk}:CHF:80.00"),
        "euros": sent(drop, marco, f"drop:{coat.pk}:EUR:80.00"),
        "euros_by_sms": sent(drop, marco, f"drop:{coat.pk}:EUR:80.00", "sms"),
        "lower": sent(drop, marco, f"drop:{coat.pk}:CHF:70.00"),
    }

    key_without_currency(apps, None)

    assert keys(messages) == {
        "francs": f"drop:{coat.pk}:80.00",
        "euros": f"drop:{coat.pk}:80.000",
        "euros_by_sms": f"drop:{coat.pk}:80.00",
        "lower": f"drop:{coat.pk}:70.00",
    }

    key_by_currency(apps, None)  # and forward again, in Marco's francs

    assert keys(messages) == {
        "francs": f"drop:{coat.pk}:CHF:80.00",
        "euros": f"drop:{coat.pk}:CHF:80.000",
        "euros_by_sms": f"drop:{coat.pk}:CHF:80.00",
        "lower": f"drop:{coat.pk}:CHF:70.00",
    }
