"""Compiling segment rules to one queryset over live customers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NoReturn

from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone

from campaigns.rules import FIELDS, structure_errors
from campaigns.segments.conditions import CONDITIONS, Build, distinct
from customers.models import Customer
from omnistore.core.exceptions import ValidationFailed

# Different values all the ``in`` lists of one segment may name together: each is a
# parameter of the query (a category two), and a database refuses a query past tens of
# thousands of them, or takes long to plan it.
MAX_LISTED_VALUES = 10_000


def _refuse(errors: list[str]) -> NoReturn:
    raise ValidationFailed(
        f"The segment rules are not valid: {errors[0]}",
        code="invalid_segment",
        extra={"rules": errors},
    )


def _to_q(rule, build: Build) -> Q:
    if "all" in rule:
        result = Q()
        for child in rule["all"]:
            result &= _to_q(child, build)
        return result
    if "any" in rule:
        result = Q()
        for child in rule["any"]:
            result |= _to_q(child, build)
        return result
    if "not" in rule:
        return ~_to_q(rule["not"], build)
    spec = FIELDS[rule["field"]]
    value = rule.get("value")
    if rule["op"] == "in":
        build.listed += len(distinct(value))
    if spec.kind == "decimal":
        value = Decimal(str(value))
    return CONDITIONS[spec.name](rule["op"], value, rule, build)


def live_customers() -> QuerySet[Customer]:
    """Profiles a campaign may address: neither merged away nor erased."""
    return Customer.objects.filter(merged_into__isnull=True, is_anonymised=False)


def compile_rules(rules, *, now: datetime | None = None) -> QuerySet[Customer]:
    """One queryset over live customers; evaluating it is one query.

    Only the shape and the size are checked here (no query); references were checked
    when the rules were saved, and an id that has gone since simply matches nobody.
    Rules naming more than ``MAX_LISTED_VALUES`` different values in their lists are
    refused (``ValidationFailed``) rather than sent to the database.

    Conditions that aggregate a customer's orders (``orders_count``, ``total_spent``)
    cost a correlated subquery per customer they are tested on. When the rules also
    have cheaper conditions (columns, ``EXISTS``), the cheap ones select candidates in
    a subquery and the aggregates are tested on the candidates only: PostgreSQL
    evaluates a filter at the lowest level it can, so in a flat query the aggregates
    would run for every customer the first join lets through.
    """
    errors = structure_errors(rules)
    if errors:
        _refuse(errors)
    build = Build(now=now or timezone.now())
    conjuncts = rules["all"] if set(rules) == {"all"} else [rules]
    cheap = Q()
    costly = Q()
    for rule in conjuncts:
        before = len(build.aliases)
        condition = _to_q(rule, build)
        if len(build.aliases) > before:
            costly &= condition
        else:
            cheap &= condition
    if build.listed > MAX_LISTED_VALUES:
        _refuse(
            [
                f"rules: too large to run as one query: the lists name "
                f"{build.listed:,} different values, at most "
                f"{MAX_LISTED_VALUES:,} in a segment; use fewer or shorter lists."
            ]
        )
    queryset = live_customers()
    if build.aliases and cheap:
        candidates = live_customers().filter(cheap).values("pk")
        queryset = queryset.filter(pk__in=candidates)
    elif cheap:
        queryset = queryset.filter(cheap)
    if build.aliases:
        queryset = queryset.alias(**build.aliases).filter(costly)
    return queryset.order_by("pk")
