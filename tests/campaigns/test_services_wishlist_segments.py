"""Segments over wishlist contents: active items on open lists, by category or variant,
and how recently they were added — still one query."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.segments.compiler import compile_rules
from campaigns.services.segments import create_segment
from customers.models import Channel, WishlistItem
from customers.services.wishlists import (
    add_wishlist_item,
    archive_wishlist,
    remove_wishlist_item,
)
from tests.campaigns.factories import grant, person
from tests.factories import CategoryFactory, VariantFactory

pytestmark = pytest.mark.django_db


def wish(customer, variant, *, days_ago=0, wishlist=None):
    added = add_wishlist_item(
        customer=None if wishlist else customer,
        wishlist=wishlist,
        variant=variant,
        channel=Channel.WEB,
    )
    if days_ago:
        WishlistItem.objects.filter(pk=added.item.pk).update(
            added_at=timezone.now() - timedelta(days=days_ago)
        )
    return added.item


@pytest.fixture
def wishers():
    tops = CategoryFactory(slug="tops", name="Tops")
    shirts = CategoryFactory(slug="shirts", name="Shirts", parent=tops)
    shoes = CategoryFactory(slug="shoes", name="Shoes")
    shirt = VariantFactory(product__category=shirts)
    boot = VariantFactory(product__category=shoes)

    fresh = person("Ada")  # a shirt this week
    wish(fresh, shirt, days_ago=2)
    old = person("Bea")  # boots two months ago
    wish(old, boot, days_ago=60)
    removed = person("Cai")  # took the shirt off again
    item = wish(removed, shirt)
    remove_wishlist_item(
        wishlist=item.wishlist_id, item_id=item.pk, channel=Channel.WEB
    )
    archived = person("Dan")  # the shirt is on a list he archived
    item = wish(archived, shirt)
    archive_wishlist(wishlist=item.wishlist_id, channel=Channel.WEB)
    nothing = person("Eva")
    return {
        "shirt": shirt,
        "boot": boot,
        "fresh": fresh,
        "old": old,
        "removed": removed,
        "archived": archived,
        "nothing": nothing,
    }


def ids(rules) -> set[int]:
    return set(compile_rules(rules).values_list("pk", flat=True))


def test_has_wishlist_item_counts_only_active_items_on_open_lists(wishers):
    w = wishers
    assert ids({"field": "has_wishlist_item", "op": "is_true"}) == {
        w["fresh"].pk,
        w["old"].pk,
    }
    assert ids({"field": "has_wishlist_item", "op": "is_false"}) == {
        w["removed"].pk,
        w["archived"].pk,
        w["nothing"].pk,
    }


def test_has_wishlist_item_by_category_includes_subcategories_and_by_variant(wishers):
    w = wishers
    by_parent = {"field": "has_wishlist_item", "op": "is_true", "category": "tops"}
    assert ids(by_parent) == {w["fresh"].pk}
    by_own = {"field": "has_wishlist_item", "op": "is_true", "category": "shoes"}
    assert ids(by_own) == {w["old"].pk}
    boot = {"field": "has_wishlist_item", "op": "is_true", "variant": w["boot"].pk}
    assert ids(boot) == {w["old"].pk}
    no_shirt = {
        "field": "has_wishlist_item",
        "op": "is_false",
        "variant": w["shirt"].pk,
    }
    assert w["fresh"].pk not in ids(no_shirt)
    assert w["removed"].pk in ids(no_shirt)


def test_wishlist_item_added_within_days(wishers):
    w = wishers
    recent = {"field": "wishlist_item_added_within_days", "op": "is_true", "value": 30}
    assert ids(recent) == {w["fresh"].pk}
    quiet = {"field": "wishlist_item_added_within_days", "op": "is_false", "value": 30}
    assert ids(quiet) == {
        w["old"].pk,
        w["removed"].pk,
        w["archived"].pk,
        w["nothing"].pk,
    }
    boots = {**recent, "value": 90, "category": "shoes"}
    assert ids(boots) == {w["old"].pk}


def test_wishlist_rules_with_others_are_one_query_and_save(
    wishers, django_assert_num_queries
):
    w = wishers
    grant(w["fresh"], "email")
    grant(w["old"], "email")
    rules = {
        "all": [
            {"field": "consent.email", "op": "is_true"},
            {"field": "has_wishlist_item", "op": "is_true", "category": "tops"},
            {"not": {"field": "orders_count", "op": "gte", "value": 3}},
        ]
    }
    segment = create_segment(name="Wished tops", rules=rules)
    with django_assert_num_queries(1):
        assert list(compile_rules(segment.rules).values_list("pk", flat=True)) == [
            w["fresh"].pk
        ]
