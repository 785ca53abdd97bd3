"""The sizes a customer takes, per category, as the counter, the 360° page and
``/me/sizes/`` show them: the size the customer stated first, else the learned one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from customers.models import Customer, LearnedSize
from inventory.models import Category

# The return reasons that speak of fit (``orders.models.ReturnReason`` values).
TOO_SMALL = "too_small"
TOO_BIG = "too_big"
FIT_STEPS = {TOO_SMALL: 1, TOO_BIG: -1}


@dataclass(frozen=True)
class SizeEvidence:
    """Units of one size bought in a category: ``kept`` of them kept, or returned
    for ``fit`` (too small, too big). ``offered``: the sizes the product comes in."""

    category_id: int
    size: str
    at: datetime
    kept: int = 0
    fit: str = ""
    offered: tuple[str, ...] = ()


def category_label(category: Category) -> str:
    """A category as a size is spoken of: "Knitwear (Kids)" (``parent`` loaded)."""
    parent = category.parent if category.parent_id else None
    return f"{category.name} ({parent.name})" if parent else category.name


STATED = "stated"
LEARNED = "learned"


@dataclass(frozen=True)
class CustomerSize:
    category: Category
    size: str
    source: str  # STATED or LEARNED
    stated: str
    learned: str
    units_kept: int
    moved_by: str

    @property
    def label(self) -> str:
        return category_label(self.category)

    @property
    def summary(self) -> str:
        """What an associate reads: "usually M in Knitwear (Women)"."""
        verb = "takes" if self.source == STATED else "usually"
        return f"{verb} {self.size} in {self.label}"


def customer_sizes(customer: Customer) -> list[CustomerSize]:
    """One row per category with a stated or learned size, by category name, in two
    queries."""
    return customer_preferences(customer)[0]


def customer_preferences(customer: Customer) -> tuple[list[CustomerSize], list[str]]:
    """The customer's sizes (as ``customer_sizes``) and the categories they like, by
    name, in the same two queries: the categories named by slug are read together."""
    learned = {
        row.category_id: row
        for row in LearnedSize.objects.filter(customer=customer).select_related(
            "category__parent"
        )
    }
    preferences = customer.preferences if isinstance(customer.preferences, dict) else {}
    stated = preferences.get("sizes") or {}
    if not isinstance(stated, dict):
        stated = {}
    liked = preferences.get("favourite_categories")
    liked = [s for s in liked if isinstance(s, str)] if isinstance(liked, list) else []
    known = {row.category.slug: row.category for row in learned.values()}
    named = _categories(known, [*stated, *liked])
    categories = {slug: named[slug] for slug in [*known, *stated]}
    return _size_rows(categories, learned, stated), [
        category_label(named[slug]) for slug in dict.fromkeys(liked)
    ]


def _categories(known: dict[str, Category], slugs: list[str]) -> dict[str, Category]:
    """``known`` and the categories of ``slugs``, by slug, in one query at most."""
    found = dict(known)
    missing = [slug for slug in dict.fromkeys(slugs) if slug not in found]
    if missing:
        found.update(
            (c.slug, c)
            for c in Category.objects.filter(slug__in=missing).select_related("parent")
        )
        # A slug stated before its category was renamed still shows, as written.
        found.update(
            (slug, Category(slug=slug, name=slug))
            for slug in missing
            if slug not in found
        )
    return found


def _size_rows(
    categories: dict[str, Category], learned: dict[int, LearnedSize], stated: dict
) -> list[CustomerSize]:
    rows = []
    for slug, category in categories.items():
        own = learned.get(category.pk)
        said = str(stated.get(slug) or "")
        guess = own.size if own else ""
        rows.append(
            CustomerSize(
                category=category,
                size=said or guess,
                source=STATED if said else LEARNED,
                stated=said,
                learned=guess,
                units_kept=own.units_kept if own else 0,
                moved_by=own.moved_by if own else "",
            )
        )
    return sorted(rows, key=lambda r: (r.label, r.category.slug))
