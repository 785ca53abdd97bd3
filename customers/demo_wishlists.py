"""Demo wishlists: the demo customer's own list, with a piece their associate added in
the shop and a second list they started in the app; and a list that each associate
built with two of their clients, as in a fitting room.

Runs after the client book (the associates' clients come from it); deterministic,
and skipped when any wishlist exists. Everything goes through the services, so the
timelines and the API show who added what, where.
"""

from __future__ import annotations

import time

from django.db import transaction

from customers.demo import DEMO_CUSTOMER_EMAIL
from customers.demo_clientbook import demo_associates
from customers.models import Customer, Wishlist
from customers.services.wishlists import add_wishlist_item, create_wishlist
from inventory.models import Variant
from omnistore.core.channels import Channel

CLIENTS_WITH_A_LIST = 2  # per associate
NOTES = [
    "Tried on in the shop: this size fits.",
    "Back in this colour next week.",
    "For the wedding in June.",
    "",
]


def _variants() -> list[Variant]:
    """Sellable variants in a fixed order, one per product first so lists mix pieces."""
    variants = list(
        Variant.objects.filter(active=True, product__active=True)
        .select_related("product")
        .order_by("product__name", "sku")
    )
    firsts, seen = [], set()
    for variant in variants:
        if variant.product_id not in seen:
            seen.add(variant.product_id)
            firsts.append(variant)
    return firsts or variants


def _demo_customer_lists(customer: Customer, associate, variants) -> int:
    """The demo customer's two lists: three items in the first (one from the shop)."""
    for variant in variants[:2]:
        add_wishlist_item(customer=customer, variant=variant, channel=Channel.APP)
    items = 2
    if associate is not None:
        add_wishlist_item(
            customer=customer,
            variant=variants[2],
            note=NOTES[0],
            actor=associate,
            location=associate.store,
            channel=Channel.STORE,
        )
        items += 1
    wedding = create_wishlist(
        customer=customer, name="Summer wedding", channel=Channel.APP
    )
    add_wishlist_item(
        wishlist=wedding, variant=variants[3], note=NOTES[2], channel=Channel.APP
    )
    return items + 1


def seed_wishlists(*, scale: int = 1, stdout=None) -> dict[str, int]:
    say = stdout.write if stdout is not None else (lambda _text: None)
    if Wishlist.objects.exists():
        say("Wishlists: already present, skipped.")
        return {}
    variants = _variants()
    if len(variants) < 4:
        say("Wishlists: no catalog yet, skipped.")
        return {}
    started = time.monotonic()
    associates = demo_associates()
    items = 0
    with transaction.atomic():
        demo = Customer.objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
        giulia = next((a for a in associates if a.username == "associate"), None)
        if demo is not None:
            items += _demo_customer_lists(demo, giulia, variants)
        step = 4
        for associate in associates:
            clients = (
                Customer.objects.filter(assigned_associate=associate)
                .exclude(email=DEMO_CUSTOMER_EMAIL)
                .order_by("pk")[:CLIENTS_WITH_A_LIST]
            )
            for customer in clients:
                for offset in range(2):
                    add_wishlist_item(
                        customer=customer,
                        variant=variants[step % len(variants)],
                        note=NOTES[(step + offset) % len(NOTES)],
                        actor=associate,
                        location=associate.store,
                        channel=Channel.STORE,
                    )
                    step += 1
                    items += 1
    lists = Wishlist.objects.count()
    say(
        f"Wishlists: {lists} lists, {items} items, built by customers and their "
        f"associates ({time.monotonic() - started:.1f} s)."
    )
    return {"wishlists": lists, "items": items}
