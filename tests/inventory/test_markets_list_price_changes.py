"""A saved change of a price-list price is announced once it committed, with the
price before and after: a new price, a cut, a raise, a price moved to another
variant. A save that changes no price, or one rolled back, announces nothing."""

from decimal import Decimal

import pytest
from django.db import transaction

from inventory.markets import list_prices_changed
from inventory.models import PriceList, PriceListPrice
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def heard():
    """What the announcements carried, as (list, variant, was, price)."""
    seen = []

    def listen(sender, changes, **kwargs):
        seen.extend((c.price_list_id, c.variant_id, c.was, c.price) for c in changes)

    list_prices_changed.connect(listen, dispatch_uid="test.list_prices_heard")
    yield seen
    list_prices_changed.disconnect(dispatch_uid="test.list_prices_heard")


@pytest.fixture
def francs():
    return PriceList.objects.get(code="CHF")


def test_new_cut_and_raised_prices_are_announced_after_commit(
    francs, heard, django_capture_on_commit_callbacks
):
    knit = VariantFactory(price=D("189.00"))
    with django_capture_on_commit_callbacks(execute=True):
        listed = PriceListPrice.objects.create(
            price_list=francs, variant=knit, price=D("198.45")
        )
    listed.price = D("180.00")
    with django_capture_on_commit_callbacks(execute=True) as waiting:
        listed.save()
        assert heard == [(francs.pk, knit.pk, None, D("198.45"))]  # not yet
    assert len(waiting) == 1
    listed.price = D("210.00")
    with django_capture_on_commit_callbacks(execute=True):
        listed.save()

    assert heard == [
        (francs.pk, knit.pk, None, D("198.45")),
        (francs.pk, knit.pk, D("198.45"), D("180.00")),
        (francs.pk, knit.pk, D("180.00"), D("210.00")),
    ]


def test_a_price_moved_to_another_variant_leaves_one_and_reaches_the_other(
    francs, heard, django_capture_on_commit_callbacks
):
    knit, scarf = VariantFactory(), VariantFactory()
    listed = PriceListPrice.objects.create(
        price_list=francs, variant=knit, price=D("59.00")
    )
    listed.variant = scarf
    with django_capture_on_commit_callbacks(execute=True):
        listed.save()

    assert heard == [
        (francs.pk, knit.pk, D("59.00"), None),
        (francs.pk, scarf.pk, None, D("59.00")),
    ]


def test_a_save_that_changes_no_price_or_is_rolled_back_announces_nothing(
    francs, heard, django_capture_on_commit_callbacks
):
    listed = PriceListPrice.objects.create(
        price_list=francs, variant=VariantFactory(), price=D("59.00")
    )
    with django_capture_on_commit_callbacks(execute=True):
        listed.price = D("59")
        listed.save()
        with pytest.raises(RuntimeError), transaction.atomic():
            listed.price = D("40.00")
            listed.save()
            raise RuntimeError("not saved after all")

    assert heard == []
