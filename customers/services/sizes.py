"""What size a customer takes, per category: learned from the purchases they kept,
or stated by them.

The learning rule has one home, ``learn_size``: the size kept most often wins (a tie:
the one kept last); a return as too small or too big moves it one step from the
returned size (up or down the returned product's own size run, see
``inventory.sizes.step_size``) until something kept later says otherwise. Orders live above
this app: ``orders`` gathers the evidence after a sale or a received return and calls
``learn_sizes``, which rewrites the customer's rows from the whole of it, so running it
twice changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from customers.models import Customer, LearnedSize
from customers.selectors.sizes import (
    FIT_STEPS,
    TOO_BIG,
    TOO_SMALL,
    SizeEvidence,
    category_label,
)
from customers.services.identities import lock_live_profile
from customers.services.timeline import record_event, record_events
from inventory.models import Category
from inventory.sizes import step_size
from omnistore.core.exceptions import ValidationFailed

EVENT_SIZE_LEARNED = "size_learned"
EVENT_SIZE_STATED = "size_stated"
MAX_SIZE_LENGTH = 20


@dataclass(frozen=True)
class Learned:
    size: str
    kept_size: str
    units_kept: int
    moved_by: str = ""


def _most_kept(evidence: Sequence[SizeEvidence]) -> tuple[str, int]:
    """The size kept most often (a tie: the one kept last), and the units kept."""
    kept: Counter[str] = Counter()
    last: dict[str, datetime] = {}
    for item in evidence:
        if item.kept > 0 and item.size:
            kept[item.size] += item.kept
            last[item.size] = max(item.at, last.get(item.size, item.at))
    best = max(kept, key=lambda s: (kept[s], last[s])) if kept else ""
    return best, kept.total()


def learn_size(evidence: Sequence[SizeEvidence]) -> Learned | None:
    """The size one category's evidence points to; None without any. The newest word
    wins: after a return for fit, only what was kept since counts (an exchange for the
    next size up, say), and with nothing kept since, the returned size one step up
    (too small) or down (too big)."""
    overall, units = _most_kept(evidence)
    fits = [e for e in evidence if e.fit in FIT_STEPS and e.size]
    latest_fit = max(fits, key=lambda e: e.at, default=None)
    if latest_fit is None:
        return Learned(overall, overall, units) if overall else None
    since, _ = _most_kept([e for e in evidence if e.at >= latest_fit.at])
    if since:
        return Learned(since, overall, units)
    moved = step_size(latest_fit.size, FIT_STEPS[latest_fit.fit], latest_fit.offered)
    if moved and moved != latest_fit.size:
        return Learned(moved, overall, units, latest_fit.fit)
    return Learned(overall, overall, units) if overall else None


@transaction.atomic
def learn_sizes(
    *, evidence: dict[Customer, Sequence[SizeEvidence]], now=None
) -> dict[int, dict[int, Learned]]:
    """Rewrite the learned sizes of each customer (rows locked by the caller, who
    read the evidence under those locks) from all of their evidence, in a fixed
    number of queries for the batch; a size that changed goes on the timeline.
    Returns ``{customer id: {category id: learned}}``."""
    if not evidence:
        return {}
    now = now or timezone.now()
    learned = {customer.pk: _learn_all(items) for customer, items in evidence.items()}
    customers = {customer.pk: customer for customer in evidence}
    existing = LearnedSize.objects.filter(customer_id__in=list(customers))
    rows = {(r.customer_id, r.category_id): r for r in existing}
    stale = [r.pk for key, r in rows.items() if key[1] not in learned[key[0]]]
    if stale:  # derived rows: nothing kept or returned for fit there any more
        LearnedSize.objects.filter(pk__in=stale).delete()
    new, updated, changed = [], [], []
    for customer_id, categories in learned.items():
        for category_id, found in categories.items():
            row = rows.get((customer_id, category_id))
            values = (found.size, found.kept_size, found.units_kept, found.moved_by)
            if row is None:
                row = LearnedSize(customer_id=customer_id, category_id=category_id)
                new.append(row)
            elif values == (row.size, row.kept_size, row.units_kept, row.moved_by):
                continue
            else:
                updated.append(row)
            if row.size != found.size:
                changed.append(row)
            row.size, row.kept_size, row.units_kept, row.moved_by = values
            row.updated_at = now
    LearnedSize.objects.bulk_create(new)
    LearnedSize.objects.bulk_update(
        updated, ["size", "kept_size", "units_kept", "moved_by", "updated_at"]
    )
    _announce(customers, changed, now)
    return learned


def _learn_all(evidence: Sequence[SizeEvidence]) -> dict[int, Learned]:
    by_category: dict[int, list[SizeEvidence]] = defaultdict(list)
    for item in evidence:
        by_category[item.category_id].append(item)
    found = {c: learn_size(items) for c, items in by_category.items()}
    return {c: learned for c, learned in found.items() if learned}


_WHY = {
    TOO_SMALL: ", after a return as too small",
    TOO_BIG: ", after a return as too big",
}


def _announce(customers: dict[int, Customer], rows: list[LearnedSize], now) -> None:
    if not rows:
        return
    names = {
        c.pk: category_label(c)
        for c in Category.objects.filter(
            pk__in={r.category_id for r in rows}
        ).select_related("parent")
    }
    record_events(
        [
            {
                "customer": customers[row.customer_id],
                "kind": EVENT_SIZE_LEARNED,
                "summary": f"Usually {row.size} in {names[row.category_id]}"
                + _WHY.get(row.moved_by, ""),
                "data": {"category": row.category_id, "size": row.size},
                "occurred_at": now,
            }
            for row in rows
        ],
        locked=True,
    )


@transaction.atomic
def state_size(
    *, customer: Customer, category: str, size: str, actor=None, channel: str = ""
) -> Customer:
    """The customer says which size they take in a category (``size`` empty: they
    take back what they said, and the learned size shows again)."""
    size = (size or "").strip()
    if len(size) > MAX_SIZE_LENGTH:
        raise ValidationFailed(
            "A size is at most 20 characters.",
            extra={"size": [f"At most {MAX_SIZE_LENGTH} characters."]},
        )
    found = Category.objects.filter(slug=category).select_related("parent").first()
    if found is None:
        raise ValidationFailed(
            "Unknown category.", extra={"category": ["No category with this slug."]}
        )
    customer = lock_live_profile(customer)
    preferences = dict(customer.preferences or {})
    sizes = dict(preferences.get("sizes") or {})
    if sizes.get(found.slug, "") == size:
        return customer
    if size:
        sizes[found.slug] = size
    else:
        sizes.pop(found.slug, None)
    preferences["sizes"] = sizes
    customer.preferences = preferences
    customer.save(update_fields=["preferences", "updated_at"])
    record_event(
        customer=customer,
        kind=EVENT_SIZE_STATED,
        summary=(
            f"Takes {size} in {category_label(found)}"
            if size
            else f"No stated size in {category_label(found)} any more"
        ),
        actor=actor,
        channel=channel,
        data={"category": found.slug, "size": size},
        locked=True,
    )
    return customer
