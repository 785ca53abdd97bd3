"""A price drop is measured in the wisher's market: a Zürich customer hears of a cut
in the Swiss price list, in francs, from the price they saw when they wished the
item; a Milan customer of a cut in the catalogue's euros. A price that went up, stayed
the same, or was cut and put back before the message went is no price drop."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.backends import MemoryBackend
from campaigns.models import (
    CampaignKind,
    CampaignStatus,
    Message,
    MessageStatus,
    PriceChange,
)
from campaigns.services.automations import run_automation, run_automations
from customers.models import Channel
from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from inventory.models import PriceList, PriceListPrice, Variant
from tests.campaigns.factories import campaign, grant, person
from tests.campaigns.test_services_sending import DownBackend
from tests.factories import LocationFactory, VariantFactory, WarehouseFactory, stock

pytestmark = pytest.mark.django_db

DROP = (
    "Now {{ wishlist_item.price }}",
    "{{ wishlist_item.name }}: {{ wishlist_item.price }}"
    "{% if wishlist_item.was_price %} instead of {{ wishlist_item.was_price }}"
    " (-{{ wishlist_item.saving_percent }}%){% endif %}.",
)


@pytest.fixture
def coat():
    coat = VariantFactory(product__name="Wool coat", price=Decimal("200.00"))
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=coat, price=Decimal(180)
    )
    stock(coat, WarehouseFactory(), 4)
    return coat


@pytest.fixture
def wishers(coat):
    """Ada shops in Milan (the catalogue's euros), Marco in Zürich (the Swiss
    list's francs), Bea has no shop (the catalogue's euros); each wished the coat."""
    milan = LocationFactory(code="MI01", country="IT", city="Milano")
    zurich = LocationFactory(code="ZH01", country="CH", city="Zürich")
    found = {}
    for name, shop in (("Ada", milan), ("Marco", zurich), ("Bea", None)):
        customer = person(name)
        if shop is not None:
            update_profile(customer=customer, preferred_store=shop.pk)
        grant(customer, "email", "push")
        add_wishlist_item(customer=customer, variant=coat, channel=Channel.WEB)
        found[name] = customer
    return found


@pytest.fixture
def in_francs(coat, django_capture_on_commit_callbacks):
    """Change the coat's Swiss price as any save does, and what it announces after
    commit."""

    def change(price: str) -> None:
        listed = PriceListPrice.objects.get(variant=coat)
        listed.price = Decimal(price)
        with django_capture_on_commit_callbacks(execute=True):
            listed.save()

    return change


def price_drop(channels=("email",)):
    return campaign(
        kind=CampaignKind.PRICE_DROP,
        channels=channels,
        trigger_after=timedelta(hours=1),
        templates={"email": DROP, "push": DROP},
        status=CampaignStatus.ACTIVE,
    )


def later():
    return timezone.now() + timedelta(hours=2)


def told():
    """Each email sent, by address: its subject and first line."""
    return {
        email.to[0]: (email.subject, email.body.splitlines()[0])
        for email in mail.outbox
    }


def test_a_cut_in_the_swiss_list_reaches_its_wishers_in_francs(wishers, in_francs):
    price_drop()

    in_francs("144.00")
    run_automations(now=later())

    marco = wishers["Marco"]
    assert told() == {
        marco.email: (
            "Now 144.00 CHF",
            "Wool coat (Blue / M): 144.00 CHF instead of 180.00 CHF (-20%).",
        )
    }


def test_a_catalogue_cut_reaches_who_buys_at_the_catalogue_only(coat, wishers):
    price_drop()

    Variant.objects.filter(pk=coat.pk).update(price=Decimal("150.00"))
    run_automations(now=later())

    italian = "Wool coat (Blue / M): 150.00 EUR instead of 200.00 EUR (-25%)."
    assert told() == {
        wishers["Ada"].email: ("Now 150.00 EUR", italian),
        wishers["Bea"].email: ("Now 150.00 EUR", italian),
    }


def test_a_list_price_raised_kept_or_cut_below_the_threshold_says_nothing(
    wishers, in_francs, settings
):
    settings.OMNISTORE_PRICE_DROP_MIN_PERCENT = Decimal("10")
    automation = price_drop()

    in_francs("180.00")  # saved as it was: no change
    assert not PriceChange.objects.exists()
    in_francs("175.00")  # under 3 % off
    assert run_automations(now=later())[automation.name] == 0
    in_francs("210.00")
    assert run_automations(now=later())[automation.name] == 0

    assert mail.outbox == []


def test_a_price_raised_and_cut_back_to_what_the_wisher_saw_is_no_drop(
    wishers, in_francs
):
    automation = price_drop()

    in_francs("240.00")
    in_francs("180.00")
    assert run_automations(now=later())[automation.name] == 0

    in_francs("150.00")  # below the 180.00 Marco saw: a drop from that
    run_automations(now=later())
    assert told() == {
        wishers["Marco"].email: (
            "Now 150.00 CHF",
            "Wool coat (Blue / M): 150.00 CHF instead of 180.00 CHF (-16%).",
        )
    }


def test_a_cut_made_before_the_wish_is_the_price_the_wisher_saw(coat, in_francs):
    in_francs("120.00")
    zurich = LocationFactory(code="ZH02", country="CH", city="Zürich")
    late = person("Luca")
    update_profile(customer=late, preferred_store=zurich.pk)
    grant(late, "email")
    add_wishlist_item(customer=late, variant=coat, channel=Channel.WEB)
    automation = price_drop()

    assert run_automations(now=later())[automation.name] == 0


def test_a_cut_put_back_while_its_message_waited_is_not_sent(
    wishers, in_francs, settings
):
    settings.OMNISTORE_PUSH_BACKEND = (
        "tests.campaigns.test_services_sending.DownBackend"
    )
    DownBackend.down = True
    automation = price_drop(channels=("push",))
    in_francs("144.00")
    outage = run_automation(campaign=automation, now=later())
    assert outage.deferred == 1

    in_francs("180.00")  # back to the price Marco wished it at
    DownBackend.down = False
    MemoryBackend.reset()
    resumed = run_automation(campaign=automation, now=later())

    assert (resumed.sent, resumed.skipped) == (0, 1)
    assert not MemoryBackend.outbox
    stale = Message.objects.get(customer=wishers["Marco"])
    assert stale.status == MessageStatus.SKIPPED
    assert stale.error == "Not sent: what triggered it no longer holds."


def moves_to_zurich(customer):
    shop = LocationFactory(code="ZH09", country="CH", city="Zürich")
    update_profile(customer=customer, preferred_store=shop.pk)


def test_a_drop_in_francs_is_told_whatever_was_told_in_euros(coat, wishers, in_francs):
    """Ada heard of the coat at 80.00 EUR in Milan; moved to Zürich, a cut of the
    Swiss price to 100.00 CHF is news to her, not a rise over 80."""
    automation = price_drop()
    ada = wishers["Ada"]
    Variant.objects.filter(pk=coat.pk).update(price=Decimal("80.00"))
    run_automations(now=later())
    assert told()[ada.email][0] == "Now 80.00 EUR"
    moves_to_zurich(ada)
    mail.outbox = []

    in_francs("100.00")
    assert run_automations(now=later())[automation.name] == 2

    swiss = "Wool coat (Blue / M): 100.00 CHF instead of 180.00 CHF (-44%)."
    assert told() == {
        ada.email: ("Now 100.00 CHF", swiss),
        wishers["Marco"].email: ("Now 100.00 CHF", swiss),
    }
    assert set(
        Message.objects.filter(customer=ada).values_list("trigger_key", flat=True)
    ) == {f"drop:{coat.pk}:EUR:80.00", f"drop:{coat.pk}:CHF:100.00"}


def test_the_same_amount_in_another_currency_is_another_drop(coat, wishers, in_francs):
    automation = price_drop()
    ada = wishers["Ada"]
    Variant.objects.filter(pk=coat.pk).update(price=Decimal("80.00"))
    run_automations(now=later())
    moves_to_zurich(ada)
    mail.outbox = []

    in_francs("80.00")
    assert run_automations(now=later())[automation.name] == 2

    assert told()[ada.email] == (
        "Now 80.00 CHF",
        "Wool coat (Blue / M): 80.00 CHF instead of 180.00 CHF (-55%).",
    )


def test_a_price_told_in_francs_still_bounds_the_next_in_francs(
    coat, wishers, in_francs
):
    """Marco, told of 80.00 CHF, hears nothing of 85.00 CHF, nor of 80.00 CHF
    again."""
    automation = price_drop()
    marco = wishers["Marco"]
    in_francs("80.00")
    assert run_automations(now=later())[automation.name] == 1

    in_francs("85.00")
    assert run_automations(now=later())[automation.name] == 0
    in_francs("80.00")  # the price told already: not told twice
    assert run_automations(now=later())[automation.name] == 0
    assert [email.subject for email in mail.outbox] == ["Now 80.00 CHF"]
    assert list(
        Message.objects.filter(customer=marco).values_list("trigger_key", flat=True)
    ) == [f"drop:{coat.pk}:CHF:80.00"]
