"""Where personal data about a customer lives, and how it is exported and erased.

Orders, returns and messages live in apps above this one, which cannot be imported
here. So every app that keeps rows about a person registers a ``PersonalData`` entry
from its ``AppConfig.ready()``: which models it answers for, how each text column is
treated on erasure, the export sections it adds, the erasure step it runs, what
makes it refuse an erasure for now (``check``), the balances the person would give
up with it (``balances``) and how they are written off once given up (``forfeit``).
The export (``customers.selectors.export``) and the erasure
(``customers.services.erasure``) walk the registry, so neither names an upper app.

A test walks every model with a foreign-key path to ``Customer`` and fails when one is
not covered here, or when a text column of a covered model is neither erased nor
declared kept: a model or field added later is caught before it leaks.
"""

from __future__ import annotations

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
