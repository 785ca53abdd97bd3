"""Product views: taken in without a write per event, stored in batches.

The request path (``accept_browse_events``) checks the caller's consent and hands the
whole batch to the buffer in one call: one ``RPUSH`` of a Redis list, or, without
Redis (development, tests), one ``INSERT`` of the batch. ``drain_browse_events`` (a
beat task) moves what waits into ``BrowseEvent`` a batch at a time. Every event has a
dedupe key (its caller and client id, or the event itself, hashed) under a unique
constraint, so an event sent twice, or drained again after a crash, is stored once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models import BrowseEvent, BrowseKind
from customers.services import browse_buffer
from inventory.models import Product, Variant

logger = logging.getLogger(__name__)

# A client clock this far ahead is believed; further, the event is dated on arrival.
CLOCK_SKEW = timedelta(minutes=5)


def accept_browse_events(
    *,
    events: list[dict],
    customer_id: int | None,
    device_id: str = "",
    now: datetime | None = None,
) -> int:
    """Queue validated events of one caller (``customer_id`` for a signed-in customer
    who consented to personalisation, else ``device_id``). No database write here when
    the buffer is Redis. Returns how many were queued."""
    received = (now or timezone.now()).isoformat()
    payloads = [
        {
            "c": customer_id,
            "d": device_id,
            "s": event.get("session_id", ""),
            "k": event.get("kind", BrowseKind.PRODUCT_VIEWED),
            "p": event["product"],
            "v": event.get("variant"),
            "t": event["occurred_at"].isoformat(),
            "ch": event["channel"],
            "id": event.get("id", ""),
            "r": received,
        }
        for event in events
    ]
    if payloads and not browse_buffer.push(payloads):
        store_browse_events(payloads)
    return len(payloads)


def _dedupe_key(payload: dict) -> str:
    caller = f"c{payload['c']}" if payload.get("c") else f"d{payload.get('d', '')}"
    if payload.get("id"):
        what = f"id|{payload['id']}"
    else:
        what = "|".join(str(payload.get(k)) for k in ("k", "p", "v", "t", "ch", "s"))
    return hashlib.sha1(f"{caller}|{what}".encode()).hexdigest()


def _parsed(payload: dict, now: datetime, oldest: datetime) -> BrowseEvent | None:
    try:
        occurred = datetime.fromisoformat(str(payload["t"]))  # as written by us
        received = datetime.fromisoformat(payload["r"]) if payload.get("r") else now
        product, variant = int(payload["p"]), payload.get("v")
        variant = int(variant) if variant is not None else None
    except (KeyError, TypeError, ValueError):
        return None
    if occurred is None or timezone.is_naive(occurred) or occurred < oldest:
        return None
    if occurred > received + CLOCK_SKEW:
        occurred = received
    customer = payload.get("c")
    device = str(payload.get("d") or "")[:64]
    if not customer and not device:
        return None
    return BrowseEvent(
        customer_id=int(customer) if customer else None,
        device_id=device,
        session_id=str(payload.get("s") or "")[:64],
        product_id=product,
        variant_id=variant,
        kind=str(payload.get("k") or BrowseKind.PRODUCT_VIEWED)[:20],
        channel=str(payload.get("ch") or "")[:10],
        occurred_at=occurred,
        received_at=received,
        dedupe_key=_dedupe_key(payload),
    )


@transaction.atomic
def store_browse_events(payloads: list[dict], *, now: datetime | None = None) -> int:
    """Store buffered events: one read of the products (and of the variants, when
    named), one ``INSERT ... ON CONFLICT DO NOTHING``; then a device's anonymous views
    join the customer who sent views from it signed in. Unknown or inactive products
    are skipped, as are events older than ``OMNISTORE_BROWSE_MAX_AGE_DAYS``. Returns
    how many rows were offered (duplicates among them are not stored twice)."""
    now = now or timezone.now()
    oldest = now - timedelta(days=settings.OMNISTORE_BROWSE_MAX_AGE_DAYS)
    rows = [row for p in payloads if (row := _parsed(p, now, oldest)) is not None]
    if not rows:
        return 0
    products = set(
        Product.objects.filter(
            pk__in={row.product_id for row in rows}, active=True
        ).values_list("pk", flat=True)
    )
    named = {row.variant_id for row in rows if row.variant_id}
    variants = (
        dict(Variant.objects.filter(pk__in=named).values_list("pk", "product_id"))
        if named
        else {}
    )
    kept = []
    for row in rows:
        if row.product_id not in products:
            continue
        if row.variant_id and variants.get(row.variant_id) != row.product_id:
            row.variant_id = None  # a variant of another product: the product stands
        kept.append(row)
    BrowseEvent.objects.bulk_create(kept, ignore_conflicts=True, batch_size=1000)
    _claim_devices({(r.customer_id, r.device_id) for r in kept if r.customer_id})
    return len(kept)


def _claim_devices(pairs) -> None:
    """Views a device sent before its user signed in become that customer's. Device
    ids are random per install (the app's, the browser's), so knowing one is having
    used the device."""
    for customer_id, device_id in sorted(pairs):
        if device_id:
            BrowseEvent.objects.filter(
                customer__isnull=True, device_id=device_id
            ).update(customer_id=customer_id)


def drain_browse_events(*, batch_size: int | None = None) -> int:
    """Move what waits in the buffer into ``BrowseEvent``, a batch per transaction.
    Returns the events offered; 0 without a Redis buffer (nothing waits there)."""
    size = max(int(batch_size or settings.OMNISTORE_BROWSE_DRAIN_BATCH), 1)
    stored = 0
    with browse_buffer.draining() as batches:
        if batches is None:
            return 0
        for raw in batches(size):
            payloads = []
            for item in raw:
                try:
                    payloads.append(json.loads(item))
                except ValueError:
                    logger.warning("browse events: unreadable buffered event dropped")
            stored += store_browse_events(payloads)
    return stored


def forget_browsing(erasure) -> None:
    """Erasure: the views of the person (and of the profiles merged into them) go."""
    BrowseEvent.objects.filter(customer_id__in=erasure.customer_ids).delete()


def export_browsing(customer_ids) -> dict:
    from customers.selectors.browsing import browse_events_of

    return {
        "product_views": [
            {
                "product_id": e.product_id,
                "variant_id": e.variant_id,
                "kind": e.kind,
                "channel": e.channel,
                "occurred_at": e.occurred_at.isoformat(),
            }
            for e in browse_events_of(customer_ids)
        ]
    }


def browsing_personal_data():
    """The product views' entry in ``customers.privacy`` (exported, deleted on
    erasure)."""
    from customers.privacy import PersonalData, Texts

    return PersonalData(
        name="browsing",
        models={
            BrowseEvent: Texts(
                erased=("device_id", "session_id", "dedupe_key"),
                kept=("kind", "channel"),
            )
        },
        export=export_browsing,
        erase=forget_browsing,
    )
