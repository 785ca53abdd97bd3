"""A merge leaves the survivor one default wishlist: the merged profile's default list
joins it, each item once; the merged profile's other lists move as they are."""

import re

import pytest
from django.urls import reverse

from customers.models import CustomerEvent, CustomerMerge, Wishlist, WishlistItem
from customers.selectors.wishlists import open_wishlists
from customers.services.matching import flag_duplicate
from customers.services.merge import merge_customers
from customers.services.timeline import EVENT_MERGED
from customers.services.wishlists import (
    add_wishlist_item,
    create_wishlist,
    remove_wishlist_item,
)
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(name="Milano Centro")


@pytest.fixture
def associate(shop):
    return StaffFactory(first_name="Sara", last_name="Colombo", store=shop)


@pytest.fixture
def pair():
    survivor = make_customer(email="alessandro@example.com", first_name="Alessandro")
    other = make_customer(phone="333 765 4321", first_name="Alessandro")
    return survivor, other


def variant(name: str):
    return VariantFactory(product=ProductFactory(name=name))


def test_the_merged_default_list_joins_the_survivors_each_item_once(
    pair, associate, shop
):
    survivor, other = pair
    cardigan, scarf, boots, gloves = (
        variant(name) for name in ("Cardigan", "Scarf", "Boots", "Gloves")
    )
    # The merged profile's list came first: the cardigan by an associate, with a note.
    theirs_cardigan = add_wishlist_item(
        customer=other,
        variant=cardigan,
        note="n13",
        actor=associate,
        channel=Channel.STORE,
    ).item
    add_wishlist_item(customer=other, variant=boots, note="Size 42", channel="web")
    dropped = add_wishlist_item(customer=other, variant=gloves, channel="web").item
    dropped = remove_wishlist_item(
        wishlist=dropped.wishlist_id, item_id=dropped.pk, channel=Channel.WEB
    )
    theirs_default = Wishlist.objects.get(customer=other)
    mine_cardigan = add_wishlist_item(
        customer=survivor, variant=cardigan, channel="web"
    ).item
    add_wishlist_item(customer=survivor, variant=scarf, channel="web")
    mine_default = mine_cardigan.wishlist
    rows_before = WishlistItem.objects.count()

    merge = merge_customers(survivor=survivor, other=other, actor=associate)

    (default,) = open_wishlists(survivor)
    assert default.pk == mine_default.pk and default.item_count == 3
    items = {i.variant_id: i for i in default.items.filter(removed_at__isnull=True)}
    assert set(items) == {cardigan.pk, scarf.pk, boots.pk}
    kept = items[cardigan.pk]
    # The survivor's row, with the other's note (it had none) and the first time it
    # was wished for; still the customer's own, online.
    assert kept.pk == mine_cardigan.pk and kept.note == "n13"
    assert kept.added_at == theirs_cardigan.added_at < mine_cardigan.added_at
    assert kept.added_by_staff is None and kept.added_via == Channel.WEB
    assert items[boots.pk].note == "Size 42"
    # Nothing deleted: the other's cardigan and the gloves removed before stay on
    # the merged list, archived, now the survivor's.
    assert WishlistItem.objects.count() == rows_before
    theirs_default.refresh_from_db()
    assert theirs_default.customer_id == survivor.pk
    assert theirs_default.archived_at is not None
    assert theirs_default.archived_by == associate
    theirs_cardigan.refresh_from_db()
    assert theirs_cardigan.wishlist_id == theirs_default.pk
    assert theirs_cardigan.removed_at is not None
    assert theirs_cardigan.removed_by == associate
    dropped_again = WishlistItem.objects.get(pk=dropped.pk)
    assert dropped_again.wishlist_id == theirs_default.pk
    assert dropped_again.removed_at == dropped.removed_at
    assert dropped_again.removed_by is None
    assert merge.summary["wishlist_folded"] == {
        "from": theirs_default.pk,
        "from_name": "My wishlist",
        "into": mine_default.pk,
        "into_name": "My wishlist",
        "moved": 1,
        "already_there": 1,
    }
    said = CustomerEvent.objects.get(customer=survivor, kind=EVENT_MERGED).summary
    assert "its wishlist “My wishlist” joined “My wishlist”" in said
    assert "(1 item moved, 1 already there)" in said
    # New wishes go to that one list.
    add_wishlist_item(customer=survivor, variant=gloves, channel="web")
    assert default.items.filter(variant=gloves, removed_at__isnull=True).exists()


def test_the_survivors_note_wins_and_distinct_items_all_move(pair, associate):
    survivor, other = pair
    cardigan = variant("Cardigan")
    others = [variant(f"Shirt {n}") for n in range(3)]
    add_wishlist_item(customer=other, variant=cardigan, note="theirs", channel="web")
    for each in others:
        add_wishlist_item(customer=other, variant=each, channel="web")
    add_wishlist_item(customer=survivor, variant=cardigan, note="mine", channel="web")

    merge_customers(survivor=survivor, other=other, actor=associate)

    (default,) = open_wishlists(survivor)
    active = default.items.filter(removed_at__isnull=True)
    assert sorted(active.values_list("variant_id", flat=True)) == sorted(
        [cardigan.pk, *(each.pk for each in others)]
    )
    assert active.get(variant=cardigan).note == "mine"


def test_a_named_list_of_the_merged_profile_moves_intact(pair, associate):
    """Even older than the survivor's default list, the named list moves as it is
    and the survivor's default stays the default."""
    survivor, other = pair
    cardigan, scarf = variant("Cardigan"), variant("Scarf")
    add_wishlist_item(customer=other, variant=cardigan, channel="web")
    gifts = create_wishlist(customer=other, name="Gifts", channel=Channel.WEB)
    add_wishlist_item(wishlist=gifts, variant=cardigan, note="for Marco", channel="web")
    add_wishlist_item(wishlist=gifts, variant=scarf, channel="web")
    token = gifts.share_token
    mine = add_wishlist_item(customer=survivor, variant=scarf, channel="web").item

    merge_customers(survivor=survivor, other=other, actor=associate)

    assert [(w.pk, w.name, w.item_count) for w in open_wishlists(survivor)] == [
        (mine.wishlist_id, "My wishlist", 2),
        (gifts.pk, "Gifts", 2),
    ]
    gifts.refresh_from_db()
    assert gifts.share_token == token and gifts.archived_at is None
    assert gifts.items.get(variant=cardigan).note == "for Marco"
    # The default list is the survivor's, where wishes go by default.
    added = add_wishlist_item(customer=survivor, variant=variant("Hat"), channel="web")
    assert added.item.wishlist_id == mine.wishlist_id


def test_merging_on_the_staff_page_shows_one_list_with_the_item_once(client, pair):
    survivor, other = pair
    cardigan = variant("Cardigan")
    add_wishlist_item(customer=survivor, variant=cardigan, channel="web")
    add_wishlist_item(customer=other, variant=cardigan, note="n13", channel="web")
    flag_duplicate(customer=survivor, other=other, reason="Same name")
    hq = UserFactory(username="hq", role=Role.HQ)
    client.force_login(hq)
    merge_url = reverse("staff:customer_merge", args=[survivor.pk])

    page = client.get(merge_url, {"other": other.pk}).content.decode()
    seen = re.search(r'name="seen" value="([^"]*)"', page).group(1)
    done = client.post(merge_url, {"other": other.pk, "seen": seen, "confirm": "on"})

    assert done.status_code == 302
    detail = client.get(reverse("staff:customer_detail", args=[survivor.pk]))
    html = detail.content.decode()
    assert 'data-testid="wishlist-lists"' not in html
    panel = html.split('data-testid="wishlist-panel"')[1].split("</section>")[0]
    assert panel.count(cardigan.name) == 1
    lists = client.get(reverse("staff:customer_wishlists", args=[survivor.pk]))
    assert lists.content.decode().count("n13") == 1
    assert CustomerMerge.objects.get().summary["wishlist_folded"]["already_there"] == 1
