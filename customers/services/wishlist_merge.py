"""A merge's wishlists: the merged profile's default list joins the survivor's.

A customer's default list is their oldest open one (``_default_wishlist_locked``):
moved as they are, two profiles' default lists would leave the survivor with two
"My wishlist", an item on both shown twice. So the merge folds them into one before
the rows move; the other lists move as they are.
"""

from __future__ import annotations

from django.utils import timezone

from customers.models import Customer, Wishlist, WishlistItem, new_share_token
from customers.selectors.wishlists import FOLDS_FOLLOWED
from omnistore.core.actors import acting_user


def _default_lists(survivor: Customer, other: Customer) -> dict[int, Wishlist]:
    """Both profiles' open lists locked (in pk order), and each one's default: its
    oldest open list, as ``_default_wishlist_locked`` takes it."""
    lists = Wishlist.objects.select_for_update().filter(
        customer__in=[survivor.pk, other.pk], archived_at__isnull=True
    )
    defaults: dict[int, Wishlist] = {}
    for wishlist in sorted(lists.order_by("pk"), key=lambda w: (w.created_at, w.pk)):
        defaults.setdefault(wishlist.customer_id, wishlist)
    return defaults


def _fold_item(kept: WishlistItem, theirs: WishlistItem) -> None:
    """One item for a variant on both lists: the survivor's row stays, with its
    associate, shop and price, its note (else the other's) and the earlier of the
    two times it was added."""
    changed = []
    if not kept.note and theirs.note:
        kept.note = theirs.note
        changed.append("note")
    if theirs.added_at < kept.added_at:
        kept.added_at = theirs.added_at
        changed.append("added_at")
    if changed:
        kept.save(update_fields=changed)


def fold_wishlists(*, survivor: Customer, other: Customer, actor) -> dict | None:
    """A merge of ``other`` into ``survivor``, before the rows move: the items on
    ``other``'s default list move to the survivor's default list; a variant already
    there is folded into the survivor's item (``_fold_item``) and the other's item
    is marked removed (by the merging user, now), not deleted. The emptied list is
    archived, folded into the survivor's (its shared link, perhaps emailed to
    friends, opens that list now: ``wishlist_by_share_token``), and moves with the
    other lists, its removed items kept on it; the survivor's list takes the earlier
    creation time of the two, so it stays the default beside lists moved in.
    Returns what was folded, for the merge's summary; None when either profile has
    no open list (the other's default then becomes the survivor's as it moves)."""
    defaults = _default_lists(survivor, other)
    mine, theirs = defaults.get(survivor.pk), defaults.get(other.pk)
    if mine is None or theirs is None:
        return None
    items = WishlistItem.objects.select_for_update().filter(
        wishlist__in=[mine.pk, theirs.pk], removed_at__isnull=True
    )
    kept: dict[int, WishlistItem] = {}
    incoming: list[WishlistItem] = []
    for item in items.order_by("pk"):
        if item.wishlist_id == mine.pk:
            kept[item.variant_id] = item
        else:
            incoming.append(item)
    now, by = timezone.now(), acting_user(actor)
    already = [item for item in incoming if item.variant_id in kept]
    for item in already:
        _fold_item(kept[item.variant_id], item)
    WishlistItem.objects.filter(pk__in=[item.pk for item in already]).update(
        removed_at=now, removed_by=by
    )
    moved = WishlistItem.objects.filter(
        pk__in=[item.pk for item in incoming if item.variant_id not in kept]
    ).update(wishlist=mine)
    theirs.archived_at, theirs.archived_by, theirs.folded_into = now, by, mine
    theirs.save(
        update_fields=["archived_at", "archived_by", "folded_into", "updated_at"]
    )
    mine.created_at = min(mine.created_at, theirs.created_at)
    mine.save(update_fields=["created_at", "updated_at"])
    return {
        "from": theirs.pk,
        "from_name": theirs.name,
        "into": mine.pk,
        "into_name": mine.name,
        "moved": moved,
        "already_there": len(already),
    }


def cut_folded_links(wishlist: Wishlist) -> int:
    """The links of the lists merges folded into ``wishlist`` (as far back as a link
    follows folds, ``FOLDS_FOLLOWED``) stop opening it: each list gets a new token,
    its fold kept for the record. A renewed link cuts them with the list's own, so
    no old link reads the list. Returns how many were cut."""
    cut, into = 0, [wishlist.pk]
    for _ in range(FOLDS_FOLLOWED):
        folded = list(Wishlist.objects.filter(folded_into__in=into).order_by("pk"))
        for each in folded:
            each.share_token = new_share_token()
            each.save(update_fields=["share_token", "updated_at"])
        cut, into = cut + len(folded), [each.pk for each in folded]
        if not into:
            break
    return cut
