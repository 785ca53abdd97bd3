"""Where personal data about a customer lives, and how it is exported and erased.

Orders, returns and messages live in apps above this one, which cannot be imported
here. So every app that keeps rows about a person registers a ``PersonalData`` entry
from its ``AppConfig.ready()``: which models it answers for, how each text column is
treated on erasure, the export sections it adds, the erasure step it runs, what
makes it refuse an erasure for now (``check``), the balances the person would give
up with it (``balances``) and how they are written off once given up (``forfeit``).
The export (``customers.selectors.export``) and the erasure
(``customers.services.erasure``) walk the registry, so neither names an upper app.
Where the code writes into a column people also type into (a history note, a
reason), the app declares the texts it writes there (``Composed``): they stay, and
only what people typed goes (``blank_texts``).

A test walks every model with a foreign-key path to ``Customer`` and fails when one is
not covered here, or when a text column of a covered model is neither erased nor
declared kept: a model or field added later is caught before it leaks.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models

from customers.models import Customer

# What replaces a free text (a note, a reason, a summary) that is kept as a row.
ERASED_TEXT = "[erased]"
# The reason on the ledger rows writing off a balance given up with an erasure.
FORFEIT_REASON = "Given up at erasure"


# Slots any composed text may hold besides the app's own: a count. Words the code
# chose that vary without a shape of their own (``{any}``: a gift card's reference, a
# transfer's summary) cannot be told from typed ones, and are blanked like them.
_SLOTS = {"n": r"\d+"}
_BLANKED = ("typed", "any")


class Composed:
    """The texts the code itself writes into a column people also type into (a
    history note, a reason). They name no one, and an auditor still needs them (how
    goods were handed over, which return a refund paid): erasure keeps them and
    blanks what a person typed.

    Each template is such a text with ``{slots}``: ``{typed}`` is what a person typed
    into it (a reason after a fixed start) and ``{any}`` words the code chose with no
    shape of their own (both blanked: a person may have typed them), ``{n}`` a count,
    the others the app's own (``slots``: a regular expression each, without groups,
    as narrow as what the code writes: codes, amounts, labels, staff names, never
    free text). The first template matching a text whole decides: its blanked
    parts become ``ERASED_TEXT``, the rest stays. A text no template matches was
    typed, and goes whole."""

    def __init__(self, *templates: str, **slots: str):
        slots = {**_SLOTS, **slots}
        self.patterns = tuple(_pattern(template, slots) for template in templates)

    def erase(self, text: str) -> str:
        for pattern in self.patterns:
            found = pattern.fullmatch(text)
            if found is not None:
                typed = [
                    found.span(name)
                    for name, value in found.groupdict().items()
                    if value and name.startswith("typed")
                ]
                for start, end in sorted(typed, reverse=True):
                    text = text[:start] + ERASED_TEXT + text[end:]
                return text
        return ERASED_TEXT


def blank_texts(
    queryset: models.QuerySet, *fields: str, keep: Composed | None = None
) -> None:
    """``fields`` of the rows become ``ERASED_TEXT``; with ``keep``, what the code
    wrote in them stays and only what people typed goes."""
    for name in fields:
        texts = queryset.exclude(**{name: ""})
        if keep is None:
            texts.update(**{name: ERASED_TEXT})
            continue
        model = queryset.model
        changed = [
            model(pk=pk, **{name: kept})
            for pk, text in texts.values_list("pk", name)
            if (kept := keep.erase(text)) != text
        ]
        model.objects.bulk_update(changed, [name])


def _pattern(template: str, slots: dict[str, str]) -> re.Pattern[str]:
    pattern, typed = "", 0
    for literal, slot, _spec, _conversion in string.Formatter().parse(template):
        pattern += re.escape(literal)
        if slot in _BLANKED:
            typed += 1
            pattern += f"(?P<typed{typed}>.+?)"
        elif slot is not None:
            pattern += f"(?:{slots[slot]})"
    return re.compile(pattern, re.DOTALL)


@dataclass(frozen=True)
class Texts:
    """How erasure treats a model's text and JSON columns: ``erased`` ones are
    blanked, replaced or their rows deleted; ``kept`` ones hold no personal data
    (codes, statuses, references, channels) and stay for the books."""

    erased: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


@dataclass
class Erasure:
    """One erasure in progress, handed to every registered step.

    ``customer_ids`` holds the live profile and every profile merged into it.
    ``values`` collects the person's identifying strings (addresses, numbers, names)
    before anything is blanked; after the steps ran, outbox and webhook payloads still
    holding one of them are redacted.
    """

    customer: Customer
    customer_ids: tuple[int, ...]
    actor: Any
    now: datetime
    values: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Balance:
    """Value the person still holds (store credit, points) that nobody could spend
    once the profile is erased: the erasure names it and waits for the person to give
    it up knowingly. ``key`` names it in the refusal and in the erasure's record,
    ``value`` is its amount as data, ``text`` as a person reads it."""

    key: str
    value: Any
    text: str


@dataclass(frozen=True)
class PersonalData:
    """One app's share of a person's data.

    ``export(customer_ids)`` returns export sections by name; ``values(customer_ids)``
    the identifying strings the app holds (read before erasure); ``erase(erasure)``
    blanks them in the erasure transaction. ``check(erasure)`` raises while the app
    still needs the person's data (before anything is erased); ``balances(
    customer_ids)`` says what the person would give up. ``forfeit(erasure)`` runs only
    when they gave it up, after every app's ``erase`` in the same transaction (so its
    ledger rows keep their reason): it books the app's balances down to zero in their
    own ledger, once per profile (a reference naming it), so each ledger still adds up
    to its balance and nothing stays owed on an erased profile.
    """

    name: str
    models: dict[type[models.Model], Texts]
    export: Callable[[tuple[int, ...]], dict[str, Any]]
    erase: Callable[[Erasure], None]
    values: Callable[[tuple[int, ...]], Iterable[str]] = lambda ids: ()
    check: Callable[[Erasure], None] = lambda erasure: None
    balances: Callable[[tuple[int, ...]], Iterable[Balance]] = lambda ids: ()
    forfeit: Callable[[Erasure], None] = lambda erasure: None


_registry: dict[str, PersonalData] = {}
_without_personal_data: dict[type[models.Model], str] = {}


def register(entry: PersonalData) -> None:
    """Add (or replace, on a second ``ready()``) an app's entry."""
    _registry[entry.name] = entry


def holds_no_personal_data(model: type[models.Model], why: str) -> None:
    """Say that ``model`` points at a customer but keeps nothing about them."""
    _without_personal_data[model] = why


def registered() -> list[PersonalData]:
    """The entries in registration order (app order: customers first)."""
    return list(_registry.values())


def models_without_personal_data() -> dict[type[models.Model], str]:
    return dict(_without_personal_data)


def balances_held(customer_ids: tuple[int, ...]) -> list[Balance]:
    """Every balance the person holds, in every app (nothing when none is left)."""
    return [
        balance for entry in registered() for balance in entry.balances(customer_ids)
    ]
