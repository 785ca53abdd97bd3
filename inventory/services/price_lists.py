"""A price list's prices written many at once: HQ imports a whole list (up to its
hundred thousand prices) instead of editing them one by one.

An import reads like as many single saves: each price added or changed has a
version on its history page (who, when, why), a price changed for the first time
keeps the row as it was first (``omnistore.core.audit``), and every change is
announced after commit (``list_prices_changed``) for the markets that sell at the
list. A price the import does not name stays; one it names at the same amount is
not touched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from omnistore.core.audit import BASELINE_REASON
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed

from ..markets import ListPriceChange, announce_price_changes
from ..models import PriceList, PriceListPrice

# Rows read, locked and written per statement: under SQLite's 999 parameters, and a
# statement PostgreSQL plans quickly, whatever the size of the list.
BATCH = 900
# What a version's reason holds (``history_change_reason``).
REASON_MAX_LENGTH = 100
PRICE_FIELD = PriceListPrice._meta.get_field("price")


@dataclass(frozen=True)
class PricesImported:
    added: int
    changed: int
    unchanged: int


def price_problem(price: Decimal) -> str | None:
    """Why ``price`` cannot be a list's price, None when it can: the price field's
    own rules (zero or more, at most 2 decimal places and 10 digits), said as the
    admin's price form says them."""
    try:
        PRICE_FIELD.run_validators(price)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def import_prices(
    *,
    price_list: PriceList,
    prices: Mapping[int, Decimal],
    actor,
    reason: str,
) -> PricesImported:
    """Give ``price_list`` the ``prices`` (variant id -> price): add those it lacks,
    change those that differ, leave the others. ``actor`` and ``reason`` are kept on
    each version written. A price that is no price refuses the whole import
    (``ValidationFailed``), and so does a price of one of these variants added to
    the list by someone else meanwhile (``Conflict``): nothing is written and the
    file may be imported again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the prices change.", extra={"reason": "required"}
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            f"A reason is at most {REASON_MAX_LENGTH} characters.",
            extra={"reason": "too_long"},
        )
    refused = {
        variant_id: problem
        for variant_id, price in prices.items()
        if (problem := price_problem(price)) is not None
    }
    if refused:
        raise ValidationFailed(
            f"{len(refused)} of the prices are not prices: nothing was imported.",
            code="invalid_prices",
            extra={"prices": dict(list(refused.items())[:20])},
        )
    try:
        return _import(price_list, dict(prices), actor, reason)
    except IntegrityError as error:
        raise Conflict(
            "The list's prices or items changed while the file was imported: "
            "nothing was imported. Import the file again.",
            code="prices_changed_meanwhile",
        ) from error


@transaction.atomic(durable=True)
def _import(price_list, prices: dict[int, Decimal], actor, reason) -> PricesImported:
    """The list's row is locked first, so two imports into one list run one after
    the other; then its prices of these variants, in variant order, so what each
    ``was`` is the price the change replaced."""
    if not PriceList.objects.select_for_update().filter(pk=price_list.pk):
        raise NotFound("This price list no longer exists.")
    now = timezone.now()
    stored = _locked_prices(price_list, sorted(prices))
    added = [
        PriceListPrice(price_list=price_list, variant_id=variant_id, price=price)
        for variant_id, price in prices.items()
        if variant_id not in stored
    ]
    changes = [
        ListPriceChange(price_list.pk, row.variant_id, None, row.price, at=now)
        for row in added
    ]
    changed, first_versions = [], []
    for variant_id, row in stored.items():
        price = prices[variant_id]
        if row.price == price:
            continue
        if not row.versioned:
            first_versions.append(_as_it_was(row))
        changes.append(
            ListPriceChange(price_list.pk, variant_id, row.price, price, at=now)
        )
        row.price = price
        changed.append(row)
    history = PriceListPrice.audit
    history.bulk_history_create(first_versions, batch_size=BATCH, update=True)
    written = {"default_user": actor, "default_change_reason": reason}
    bulk_create_with_history(added, PriceListPrice, batch_size=BATCH, **written)
    bulk_update_with_history(
        changed, PriceListPrice, ["price"], batch_size=BATCH, **written
    )
    announce_price_changes(changes)
    return PricesImported(
        added=len(added),
        changed=len(changed),
        unchanged=len(stored) - len(changed),
    )


def _locked_prices(price_list, variant_ids: list[int]) -> dict[int, PriceListPrice]:
    """The list's prices of ``variant_ids`` (sorted), locked, by variant id; each
    says whether it has a version yet (``versioned``)."""
    versions = PriceListPrice.audit.model.objects.filter(id=OuterRef("pk"))
    stored = {}
    for start in range(0, len(variant_ids), BATCH):
        rows = (
            PriceListPrice.objects.select_for_update()
            .filter(
                price_list=price_list, variant_id__in=variant_ids[start : start + BATCH]
            )
            .annotate(versioned=Exists(versions))
            .order_by("variant_id")
        )
        stored.update((row.variant_id, row) for row in rows)
    return stored


def _as_it_was(row: PriceListPrice) -> PriceListPrice:
    """The row before its first change, kept as a version of no one (as the admin
    keeps it before a single save: ``omnistore.core.audit``)."""
    before = copy.copy(row)
    before._history_user = None
    before._change_reason = BASELINE_REASON
    return before
