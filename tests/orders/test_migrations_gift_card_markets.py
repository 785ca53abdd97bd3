"""Gift cards sold at a counter before cards kept their market."""

from importlib import import_module

import pytest
from django.apps import apps

from inventory.models import Market
from orders.models import GiftCard
from tests.orders.stored_value_helpers import gift_card

pytestmark = pytest.mark.django_db

set_markets = import_module(
    "orders.migrations.0028_counter_gift_cards_in_their_shops_market"
).set_markets


def test_an_old_counter_card_takes_its_shops_market_in_its_currency(milano, zurich):
    sold = {
        "milano": gift_card("50.00", location=milano),
        "zurich": gift_card("50.00", currency="CHF", location=zurich),
        "euros_at_zurich": gift_card("50.00", location=zurich),
        "no_shop": gift_card("50.00"),
    }
    GiftCard.objects.update(market=None)

    set_markets(apps, None)

    markets = {
        name: GiftCard.objects.get(pk=card.pk).market for name, card in sold.items()
    }
    assert markets == {
        "milano": Market.objects.get(currency="EUR", countries__country="IT"),
        "zurich": Market.objects.get(currency="CHF"),
        "euros_at_zurich": None,
        "no_shop": None,
    }
