"""Wishlists: lists, items, sharing by email, and what erasure forgets of them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from customers.models import (
    WISHLIST_DEFAULT_NAME,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Wishlist,
    WishlistChannel,
    WishlistItem,
    new_share_token,
)
from customers.normalize import (
    normalize_email,
)
from customers.selectors.wishlists import WISHLIST_SHARE_TOPIC, items_an_email_shows
from customers.services.identities import (
    lock_live_profile,
)
from customers.services.timeline import (
    record_event,
)
from customers.services.wishlist_merge import cut_folded_links
from inventory import selectors as inventory_selectors
from inventory.models import Variant
from omnistore.core import outbox
from omnistore.core.actors import acting_user
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import NotFound, ValidationFailed

# list moved by a merge is written on the survivor. An item added by an associate is
# theirs and their shop's on the record; the customer sees who added it.

EVENT_WISHLIST_CREATED = "wishlist_created"
EVENT_WISHLIST_RENAMED = "wishlist_renamed"
EVENT_WISHLIST_ARCHIVED = "wishlist_archived"
EVENT_WISHLIST_ITEM_ADDED = "wishlist_item_added"
EVENT_WISHLIST_ITEM_UPDATED = "wishlist_item_updated"
EVENT_WISHLIST_ITEM_REMOVED = "wishlist_item_removed"
EVENT_WISHLIST_SHARED = "wishlist_shared"
EVENT_WISHLIST_LINK_RENEWED = "wishlist_link_renewed"

WISHLIST_NAME_MAX = 100
WISHLIST_NOTE_MAX = 250
SHARE_MESSAGE_MAX = 500
# Far above any real use; they stop a runaway client from growing a list forever.
MAX_WISHLISTS = 20
MAX_WISHLIST_ITEMS = 300


@dataclass(frozen=True)
class WishlistItemAdded:
    item: WishlistItem
    created: bool
    note_changed: bool = False  # an item already there took the new note


def _wishlist_channel(channel: str) -> str:
    if channel not in WishlistChannel.values:
        raise ValidationFailed(
            f"Unknown channel '{channel}'.",
            extra={
                "channel": [f"Must be one of: {', '.join(WishlistChannel.values)}."]
            },
        )
    return channel


def _acting_staff(actor):
    """The associate acting on the customer's behalf; None when the customer acts."""
    if acting_user(actor) is None:
        return None
    return actor if actor.is_store_staff else None


def _acting_staff_at(actor, location):
    """The associate acting (or None) and the shop on record: the one given, else
    the associate's home shop."""
    staff = _acting_staff(actor)
    return staff, location or (staff.store if staff is not None else None)


def _by_staff(staff, location) -> str:
    if staff is None:
        return ""
    where = f" at {location.name}" if location is not None else ""
    return f" — by {staff.display_name}{where}"


def _clean_wishlist_name(name, *, default: str | None = None) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        if default is not None:
            return default
        raise ValidationFailed("Give the list a name.", extra={"name": ["Required."]})
    if len(text) > WISHLIST_NAME_MAX:
        raise ValidationFailed(
            "Keep the name short.",
            extra={"name": [f"At most {WISHLIST_NAME_MAX} characters."]},
        )
    return text


def _clean_wishlist_note(note) -> str:
    text = " ".join(str(note or "").split())
    if len(text) > WISHLIST_NOTE_MAX:
        raise ValidationFailed(
            "Keep the note short.",
            extra={"note": [f"At most {WISHLIST_NOTE_MAX} characters."]},
        )
    return text


def _wishlist_variant(variant) -> Variant:
    pk = variant.pk if isinstance(variant, Variant) else variant
    found = None
    if is_digits(pk):
        found = (
            Variant.objects.select_related("product")
            .filter(pk=pk, active=True, product__active=True)
            .first()
        )
    if found is None:
        raise ValidationFailed(
            "This item is not sold any more.",
            extra={"variant": ["Unknown or discontinued item."]},
        )
    return found


def _lock_wishlist(wishlist: Wishlist | int) -> tuple[Customer, Wishlist]:
    """Lock the owner, then the list; an archived or unknown list is not found."""
    pk = wishlist.pk if isinstance(wishlist, Wishlist) else wishlist
    owner_id = (
        Wishlist.objects.filter(pk=pk).values_list("customer_id", flat=True).first()
    )
    if owner_id is None:
        raise NotFound("Wishlist not found.")
    customer = lock_live_profile(owner_id)
    locked = Wishlist.objects.select_for_update().filter(pk=pk).first()
    if locked is None or locked.archived_at is not None:
        raise NotFound("Wishlist not found.")
    if locked.customer_id != customer.pk:  # pragma: no cover - merges re-point first
        raise NotFound("Wishlist not found.")
    locked.customer = customer
    return customer, locked


def _touch_wishlist(wishlist: Wishlist) -> None:
    """``updated_at`` moves with the contents: sharing an unchanged list is done once."""
    wishlist.save(update_fields=["updated_at"])


def _default_wishlist_locked(customer: Customer) -> Wishlist:
    wishlist = (
        Wishlist.objects.select_for_update()
        .filter(customer=customer, archived_at__isnull=True)
        .order_by("created_at", "id")
        .first()
    )
    if wishlist is None:
        wishlist = Wishlist.objects.create(
            customer=customer, name=WISHLIST_DEFAULT_NAME
        )
    wishlist.customer = customer
    return wishlist


@transaction.atomic
def ensure_default_wishlist(*, customer: Customer) -> Wishlist:
    """The customer's first open list, created ("My wishlist") when they have none."""
    customer = lock_live_profile(customer)
    return _default_wishlist_locked(customer)


@transaction.atomic
def create_wishlist(
    *,
    customer: Customer,
    name: str = "",
    actor=None,
    location=None,
    channel: str,
) -> Wishlist:
    _wishlist_channel(channel)
    name = _clean_wishlist_name(name, default=WISHLIST_DEFAULT_NAME)
    customer = lock_live_profile(customer)
    if (
        Wishlist.objects.filter(customer=customer, archived_at__isnull=True).count()
        >= MAX_WISHLISTS
    ):
        raise ValidationFailed(
            "Too many lists: archive one first.",
            extra={"name": [f"At most {MAX_WISHLISTS} open lists."]},
        )
    staff, location = _acting_staff_at(actor, location)
    wishlist = Wishlist.objects.create(customer=customer, name=name)
    _record_wishlist_event(
        customer,
        wishlist,
        EVENT_WISHLIST_CREATED,
        f"Wishlist “{name}” created",
        staff=staff,
        location=location,
        actor=actor,
        channel=channel,
    )
    return wishlist


def _record_wishlist_event(
    customer,
    wishlist,
    kind: str,
    summary: str,
    *,
    staff,
    location,
    actor,
    channel,
    **data,
) -> None:
    """One timeline entry about a list, naming the associate and shop when staff
    acted; ``data`` adds to the list's id."""
    record_event(
        customer=customer,
        kind=kind,
        summary=f"{summary}{_by_staff(staff, location)}",
        actor=actor,
        location=location,
        channel=channel,
        data={"wishlist_id": wishlist.pk, **data},
        reference_type="wishlist",
        reference_id=str(wishlist.pk),
    )


def _item_label(variant: Variant) -> str:
    return f"{variant.name} · {variant.sku}"


def _change_note(item: WishlistItem, note: str, *, event: dict, by: str) -> bool:
    """A variant added again keeps its row; only a new, different note changes it
    (True when it did)."""
    if not note or note == item.note:
        return False
    item.note = note
    item.save(update_fields=["note"])
    _touch_wishlist(item.wishlist)
    record_event(
        kind=EVENT_WISHLIST_ITEM_UPDATED,
        summary=(
            f"Note changed on “{item.wishlist.name}”: {_item_label(item.variant)}{by}"
        ),
        data={"item_id": item.pk, "variant_id": item.variant.pk},
        **event,
    )
    return True


@transaction.atomic
def add_wishlist_item(
    *,
    wishlist: Wishlist | int | None = None,
    customer: Customer | None = None,
    variant: Variant | int,
    note: str = "",
    actor=None,
    location=None,
    channel: str,
) -> WishlistItemAdded:
    """Put ``variant`` on ``wishlist`` (or on the customer's default list).

    A variant already on the list is not added twice: a new note replaces the old one.
    When an associate acts, the item is theirs and their shop's (``location`` or their
    home shop).
    """
    if (wishlist is None) == (customer is None):
        raise ValueError("Give either a wishlist or a customer.")
    _wishlist_channel(channel)
    note = _clean_wishlist_note(note)
    variant = _wishlist_variant(variant)
    staff, location = _acting_staff_at(actor, location)
    if wishlist is not None:
        customer, wishlist = _lock_wishlist(wishlist)
    else:
        customer = lock_live_profile(customer)
        wishlist = _default_wishlist_locked(customer)

    active = wishlist.items.filter(removed_at__isnull=True)
    existing = active.filter(variant=variant).first()
    event = {
        "customer": customer,
        "actor": actor,
        "location": location,
        "channel": channel,
        "reference_type": "wishlist",
        "reference_id": str(wishlist.pk),
    }
    by = _by_staff(staff, location)
    if existing is not None:
        existing.variant = variant
        existing.wishlist = wishlist
        changed = _change_note(existing, note, event=event, by=by)
        return WishlistItemAdded(item=existing, created=False, note_changed=changed)
    if active.count() >= MAX_WISHLIST_ITEMS:
        raise ValidationFailed(
            "This list is full: remove something first.",
            extra={"variant": [f"At most {MAX_WISHLIST_ITEMS} items on a list."]},
        )
    item = WishlistItem.objects.create(
        wishlist=wishlist,
        variant=variant,
        note=note,
        added_by_staff=staff,
        added_at_location=location,
        added_via=channel,
        price_at_add=variant.price,
    )
    _touch_wishlist(wishlist)
    record_event(
        kind=EVENT_WISHLIST_ITEM_ADDED,
        summary=f"Added to “{wishlist.name}”: {_item_label(variant)}{by}",
        data={
            "wishlist_id": wishlist.pk,
            "item_id": item.pk,
            "variant_id": variant.pk,
            "sku": variant.sku,
            "price": str(variant.price),
        },
        **event,
    )
    return WishlistItemAdded(item=item, created=True)


@transaction.atomic
def remove_wishlist_item(
    *,
    wishlist: Wishlist | int,
    item_id,
    actor=None,
    location=None,
    channel: str,
) -> WishlistItem:
    """Take an item off the list; the row stays (``removed_at``) for the history."""
    _wishlist_channel(channel)
    staff, location = _acting_staff_at(actor, location)
    customer, wishlist = _lock_wishlist(wishlist)
    item = None
    if is_digits(item_id):
        item = (
            wishlist.items.select_related("variant__product")
            .filter(pk=item_id, removed_at__isnull=True)
            .first()
        )
    if item is None:
        raise NotFound("This item is not on the list.")
    item.removed_at = timezone.now()
    item.removed_by = acting_user(actor)
    item.save(update_fields=["removed_at", "removed_by"])
    _touch_wishlist(wishlist)
    _record_wishlist_event(
        customer,
        wishlist,
        EVENT_WISHLIST_ITEM_REMOVED,
        f"Removed from “{wishlist.name}”: {_item_label(item.variant)}",
        staff=staff,
        location=location,
        actor=actor,
        channel=channel,
        item_id=item.pk,
    )
    return item


@transaction.atomic
def rename_wishlist(
    *, wishlist: Wishlist | int, name: str, actor=None, location=None, channel: str
) -> Wishlist:
    _wishlist_channel(channel)
    name = _clean_wishlist_name(name)
    customer, wishlist = _lock_wishlist(wishlist)
    if name == wishlist.name:
        return wishlist
    before = wishlist.name
    wishlist.name = name
    wishlist.save(update_fields=["name", "updated_at"])
    staff, location = _acting_staff_at(actor, location)
    _record_wishlist_event(
        customer,
        wishlist,
        EVENT_WISHLIST_RENAMED,
        f"Wishlist “{before}” renamed “{name}”",
        staff=staff,
        location=location,
        actor=actor,
        channel=channel,
    )
    return wishlist


@transaction.atomic
def archive_wishlist(
    *, wishlist: Wishlist | int, actor=None, location=None, channel: str
) -> Wishlist:
    """Hide a list and cut its shared link; its items stay on record."""
    _wishlist_channel(channel)
    customer, wishlist = _lock_wishlist(wishlist)
    wishlist.archived_at = timezone.now()
    wishlist.archived_by = acting_user(actor)
    wishlist.save(update_fields=["archived_at", "archived_by", "updated_at"])
    staff, location = _acting_staff_at(actor, location)
    _record_wishlist_event(
        customer,
        wishlist,
        EVENT_WISHLIST_ARCHIVED,
        f"Wishlist “{wishlist.name}” deleted",
        staff=staff,
        location=location,
        actor=actor,
        channel=channel,
    )
    return wishlist


@transaction.atomic
def renew_wishlist_link(
    *, wishlist: Wishlist | int, actor=None, location=None, channel: str
) -> Wishlist:
    """Give the list a new shared link; whoever holds the old one, or the link of a
    list a merge folded into this one, no longer reads the list. Emails already
    queued carry the new link."""
    _wishlist_channel(channel)
    customer, wishlist = _lock_wishlist(wishlist)
    wishlist.share_token = new_share_token()
    wishlist.save(update_fields=["share_token", "updated_at"])
    said = (
        f"Wishlist “{wishlist.name}” has a new shared link; the old one stopped working"
    )
    if cut_folded_links(wishlist):
        said += ", as did those of the lists merged into it"
    staff, location = _acting_staff_at(actor, location)
    _record_wishlist_event(
        customer,
        wishlist,
        EVENT_WISHLIST_LINK_RENEWED,
        said,
        staff=staff,
        location=location,
        actor=actor,
        channel=channel,
    )
    return wishlist


def _masked_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def _require_proven_email(customer: Customer) -> None:
    """A share carries the sender's own words from the shop's address: an account
    must first prove an email of its own (``CustomerIdentity.proven``), or anyone
    could sign up and have the shop mail their text to anyone."""
    if not CustomerIdentity.objects.filter(
        CustomerIdentity.proven_q(), customer=customer, kind=IdentityKind.EMAIL
    ).exists():
        message = "Confirm your email address before sharing a list by email."
        raise ValidationFailed(
            message, code="email_not_verified", extra={"non_field_errors": [message]}
        )


@transaction.atomic
def share_wishlist_by_email(
    *,
    wishlist: Wishlist | int,
    email,
    message: str = "",
    actor=None,
    location=None,
    channel: str,
) -> bool:
    """Email the list to someone, after commit, through the outbox.

    The same list with the same contents goes to the same address once (a double
    tap, a retried request); after the list changes it can be sent again. Returns
    whether an email was queued. A customer sharing their own list needs a proven
    email; an associate may share it for them. A list the email would show nothing
    of (``items_an_email_shows``) is refused, as an empty one is: nothing recorded.
    """
    _wishlist_channel(channel)
    address = normalize_email(email, strict=True)
    message = " ".join(str(message or "").split())
    if len(message) > SHARE_MESSAGE_MAX:
        raise ValidationFailed(
            "Keep the message short.",
            extra={"message": [f"At most {SHARE_MESSAGE_MAX} characters."]},
        )
    customer, wishlist = _lock_wishlist(wishlist)
    staff, location = _acting_staff_at(actor, location)
    if staff is None:
        _require_proven_email(customer)
    if not wishlist.items.filter(removed_at__isnull=True).exists():
        raise ValidationFailed(
            "Add something to the list before sharing it.",
            extra={"wishlist": ["The list is empty."]},
        )
    if not items_an_email_shows(wishlist):
        raise ValidationFailed(
            "Nothing on the list is on sale: add something that is before sharing it.",
            extra={
                "wishlist": [
                    "Every item is no longer sold or not sold in the owner's market."
                ]
            },
        )
    version = f"{address}|{wishlist.updated_at.isoformat()}|{message}"
    digest = hashlib.sha256(version.encode()).hexdigest()[:40]
    queued = outbox.enqueue(
        WISHLIST_SHARE_TOPIC,
        {"wishlist_id": wishlist.pk, "to": address, "message": message},
        dedupe_key=f"{WISHLIST_SHARE_TOPIC}:{wishlist.pk}:{digest}",
    )
    if queued is None:
        return False
    _record_wishlist_event(
        customer,
        wishlist,
        EVENT_WISHLIST_SHARED,
        f"Wishlist “{wishlist.name}” shared by email with {_masked_email(address)}",
        staff=staff,
        location=location,
        actor=actor,
        channel=channel,
        to=address,
    )
    return True


def shared_wishlist_url(wishlist: Wishlist) -> str:
    """The link a shared list travels with: a page anyone holding it may open (the
    same list as JSON is the API's ``wishlists/shared/<token>/``)."""
    path = reverse("shared-wishlist", args=[wishlist.share_token])
    return settings.OMNISTORE_SITE_URL.rstrip("/") + path


@outbox.handler(WISHLIST_SHARE_TOPIC)
def deliver_wishlist_share(payload: dict) -> None:
    """Render the list as it is now, with the items still sold in the owner's
    market (``items_an_email_shows``); a list deleted or emptied since (or with
    nothing of those left) sends nothing."""
    wishlist = (
        Wishlist.objects.select_related("customer__preferred_store")
        .filter(pk=payload["wishlist_id"], archived_at__isnull=True)
        .first()
    )
    if wishlist is None:
        return
    items = items_an_email_shows(wishlist)
    if not items:
        return
    prefetch_related_objects(
        items, inventory_selectors.images_prefetch("variant__product__")
    )
    owner = wishlist.customer.first_name or "Someone"
    context = {
        "owner": owner,
        "wishlist": wishlist,
        "items": items,
        "message": payload.get("message", ""),
        "url": shared_wishlist_url(wishlist),
    }
    subject = " ".join(f"{owner} shared a wishlist with you: {wishlist.name}".split())
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("customers/email/wishlist_share.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[payload["to"]],
    )
    email.attach_alternative(
        render_to_string("customers/email/wishlist_share.html", context), "text/html"
    )
    email.send()
