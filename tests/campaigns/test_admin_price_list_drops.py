"""Headquarters cuts a price of the Swiss list in the admin, on the price's page or
in the list of prices: the Zürich customer who wished the item hears of it in francs,
from the price they saw; the Milan one, whose euros did not move, hears nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignKind, CampaignStatus
from campaigns.services.automations import run_automations
from customers.models import Channel
from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from inventory.models import PriceList, PriceListPrice
from omnistore.accounts.models import Role
from tests.campaigns.factories import campaign, grant, person
from tests.factories import (
    LocationFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

pytestmark = pytest.mark.django_db

DROP = (
    "Now {{ wishlist_item.price }}",
    "{{ wishlist_item.name }}: {{ wishlist_item.price }} instead of "
    "{{ wishlist_item.was_price }} (-{{ wishlist_item.saving_percent }}%).",
)


@pytest.fixture
def coat():
    """The coat at 200.00 EUR in the catalogue and 180.00 CHF in the Swiss list; a
    price-drop automation is on."""
    coat = VariantFactory(
        sku="COAT-M", product__name="Wool coat", price=Decimal("200.00")
    )
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=coat, price=Decimal(180)
    )
    stock(coat, WarehouseFactory(), 4)
    campaign(
        kind=CampaignKind.PRICE_DROP,
        trigger_after=timedelta(hours=1),
        templates={"email": DROP},
        status=CampaignStatus.ACTIVE,
    )
    return coat


@pytest.fixture
def marco(coat):
    """Marco (Zürich) and Ada (Milan) wished the coat; Marco is returned."""
    shops = {
        "Ada": LocationFactory(code="MI01", country="IT", city="Milano"),
        "Marco": LocationFactory(code="ZH01", country="CH", city="Zürich"),
    }
    wishers = {}
    for name, shop in shops.items():
        wishers[name] = person(name)
        update_profile(customer=wishers[name], preferred_store=shop.pk)
        grant(wishers[name], "email")
        add_wishlist_item(customer=wishers[name], variant=coat, channel=Channel.WEB)
    return wishers["Marco"]


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


def messaged():
    """Who the automations tell, once the wait is over: address, subject, line."""
    run_automations(now=timezone.now() + timedelta(hours=2))
    return [
        (email.to[0], email.subject, email.body.splitlines()[0])
        for email in mail.outbox
    ]


SWISS = (
    "Now 144.00 CHF",
    "Wool coat (Blue / M): 144.00 CHF instead of 180.00 CHF (-20%).",
)


def test_a_price_cut_on_its_admin_page_reaches_the_markets_wishers(
    hq, coat, marco, django_capture_on_commit_callbacks
):
    listed = PriceListPrice.objects.get(variant=coat)
    with django_capture_on_commit_callbacks(execute=True):
        saved = hq.post(
            reverse("admin:inventory_pricelistprice_change", args=[listed.pk]),
            {
                "price_list": listed.price_list_id,
                "variant": coat.pk,
                "price": "144.00",
            },
        )
    assert saved.status_code == 302

    assert messaged() == [(marco.email, *SWISS)]


def test_a_price_cut_in_the_list_of_prices_reaches_the_markets_wishers(
    hq, coat, marco, django_capture_on_commit_callbacks
):
    listed = PriceListPrice.objects.get(variant=coat)
    with django_capture_on_commit_callbacks(execute=True):
        saved = hq.post(
            reverse("admin:inventory_pricelistprice_changelist") + "?q=COAT-M",
            {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-MIN_NUM_FORMS": "0",
                "form-MAX_NUM_FORMS": "1000",
                "form-0-id": listed.pk,
                "form-0-price": "144.00",
                "_save": "Save",
            },
        )
    assert saved.status_code == 302
    listed.refresh_from_db()
    assert listed.price == Decimal("144.00")

    assert messaged() == [(marco.email, *SWISS)]


def test_a_price_raised_in_the_admin_tells_no_one(
    hq, coat, marco, django_capture_on_commit_callbacks
):
    listed = PriceListPrice.objects.get(variant=coat)
    with django_capture_on_commit_callbacks(execute=True):
        hq.post(
            reverse("admin:inventory_pricelistprice_change", args=[listed.pk]),
            {"price_list": listed.price_list_id, "variant": coat.pk, "price": "199.00"},
        )
    listed.refresh_from_db()
    assert listed.price == Decimal("199.00")

    assert messaged() == []
