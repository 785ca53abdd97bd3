"""The segment rule language and its compiler to one SQL query over customers.

Rules are JSON data::

    {"all": [
        {"field": "bought_in_store_within_days", "op": "is_true", "value": 90},
        {"field": "channels_used", "op": "eq", "value": "store_only"},
        {"field": "consent.email", "op": "is_true"},
        {"any": [{"field": "total_spent", "op": "gte", "value": "200"},
                 {"field": "orders_count", "op": "gte", "value": 3, "days": 365}]}
    ]}

Groups are ``{"all": [...]}``, ``{"any": [...]}`` and ``{"not": rule}``; leaves are
``{"field", "op", "value"}`` plus the options a field allows (``days``, ``campaign``,
``category``, ``variant``).
Every leaf compiles to a condition on ``Customer`` (a column test, an ``EXISTS`` or a
correlated aggregate), so a segment is one ``SELECT`` whatever its shape, and merged or
erased profiles are never in it.

Purchases are orders that were not cancelled. "Online" means the website and the app,
"store" a sale in a shop; phone orders are neither. ``last_order_days`` is the number of
days since the latest purchase: customers who never bought match none of its
comparisons. ``*_within_days`` and ``engaged_with_campaign`` take the number of days as
their value and ``is_true``/``is_false``.

Wishlist fields look at active items (not removed) on open lists (not archived);
``category`` (a slug, subcategories included) and ``variant`` (an id) narrow them::

    {"field": "has_wishlist_item", "op": "is_true", "category": "shirts"}
    {"field": "wishlist_item_added_within_days", "op": "is_true", "value": 30}
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import (
    Channel,
    Consent,
    ConsentChannel,
    Customer,
    WishlistItem,
)
from inventory.models import Category, Location, Variant
from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, OrderLine, OrderStatus

from .models import Campaign, Message

MAX_DEPTH = 6
MAX_LEAVES = 60
MAX_DAYS = 3650
ONLINE = (Channel.WEB, Channel.APP)
CHANNELS_USED = ("online_only", "store_only", "both", "none")

COMPARE = ("eq", "ne", "gt", "gte", "lt", "lte")
TEXT_OPS = ("eq", "ne", "in", "contains")
CHOICE_OPS = ("eq", "ne", "in")
BOOL_OPS = ("is_true", "is_false")
ORDER_OPS = ("gt", "gte", "lt", "lte")


@dataclass
class _Build:
    """What compiling one rule tree collects: aliases to add and the time it is now."""

    now: datetime
    aliases: dict[str, Any] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=itertools.count)

    def alias(self, expression) -> str:
        name = f"seg_{next(self.counter)}"
        self.aliases[name] = expression
        return name


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text, choice, slug, int, decimal, bool, window, ref
    ops: tuple[str, ...]
    help: str
    choices: tuple = ()
    options: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    build: Callable[..., Q] | None = None


# --- Building blocks ----------------------------------------------------------------


def _purchases(**filters) -> QuerySet[Order]:
    return Order.objects.filter(customer=OuterRef("pk"), **filters).exclude(
        status=OrderStatus.CANCELLED
    )


def _since(build: _Build, days) -> datetime | None:
    return build.now - timedelta(days=days) if days else None


def _windowed(qs: QuerySet, since: datetime | None, path: str = "created_at"):
    return qs.filter(**{f"{path}__gte": since}) if since is not None else qs


def _compare(name: str, op: str, value) -> Q:
    if op == "eq":
        return Q(**{name: value})
    if op == "ne":
        return ~Q(**{name: value})
    return Q(**{f"{name}__{op}": value})


def _text(column: str) -> Callable[..., Q]:
    def build(op, value, rule, b: _Build) -> Q:
        if op == "eq":
            return Q(**{f"{column}__iexact": value})
        if op == "ne":
            return ~Q(**{f"{column}__iexact": value})
        if op == "contains":
            return Q(**{f"{column}__icontains": value})
        either = Q()
        for item in value:
            either |= Q(**{f"{column}__iexact": item})
        return either

    return build


def _choice(column: str) -> Callable[..., Q]:
    def build(op, value, rule, b: _Build) -> Q:
        if op == "in":
            return Q(**{f"{column}__in": list(value)})
        return _compare(column, op, value)

    return build


def _consent(channel: str) -> Callable[..., Q]:
    def build(op, value, rule, b: _Build) -> Q:
        granted = Q(
            Exists(
                Consent.objects.filter(
                    customer=OuterRef("pk"), channel=channel, granted=True
                )
            )
        )
        return granted if op == "is_true" else ~granted

    return build


def _birthday_month(op, value, rule, b: _Build) -> Q:
    if op == "in":
        return Q(birthday__month__in=list(value))
    if op == "ne":
        return Q(birthday__isnull=False) & ~Q(birthday__month=value)
    return _compare("birthday__month", op, value)


def _channels_used(op, value, rule, b: _Build) -> Q:
    online = Q(Exists(_purchases(channel__in=ONLINE)))
    store = Q(Exists(_purchases(channel=Channel.STORE)))
    shapes = {
        "online_only": online & ~store,
        "store_only": store & ~online,
        "both": online & store,
        "none": ~online & ~store,
    }
    if op == "in":
        either = Q()
        for item in value:
            either |= shapes[item]
        return either
    return shapes[value] if op == "eq" else ~shapes[value]


def _last_order_days(op, value, rule, b: _Build) -> Q:
    """Days since the latest purchase, as EXISTS tests the order index can answer."""
    cutoff = b.now - timedelta(days=value)
    if op == "lte":  # bought at or after the cutoff
        return Q(Exists(_purchases(created_at__gte=cutoff)))
    if op == "lt":
        return Q(Exists(_purchases(created_at__gt=cutoff)))
    ever = Q(Exists(_purchases()))
    if op == "gte":
        return ever & ~Q(Exists(_purchases(created_at__gt=cutoff)))
    return ever & ~Q(Exists(_purchases(created_at__gte=cutoff)))  # gt


def _orders_count(op, value, rule, b: _Build) -> Q:
    purchases = _windowed(_purchases(), _since(b, rule.get("days")))
    # "at least one" and "none" are plain (anti-)semi-joins; other counts aggregate.
    if (op, value) in (("gte", 1), ("gt", 0)):
        return Q(Exists(purchases))
    if (op, value) in (("eq", 0), ("lt", 1), ("lte", 0)):
        return ~Q(Exists(purchases))
    counted = (
        purchases.order_by().values("customer").annotate(n=Count("pk")).values("n")
    )
    name = b.alias(Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))
    return _compare(name, op, value)


def _total_spent(op, value, rule, b: _Build) -> Q:
    purchases = _windowed(_purchases(), _since(b, rule.get("days")))
    money = DecimalField(max_digits=14, decimal_places=2)
    summed = (
        purchases.order_by().values("customer").annotate(s=Sum("total")).values("s")
    )
    name = b.alias(
        Coalesce(
            Subquery(summed, output_field=money),
            Value(Decimal("0")),
            output_field=money,
        )
    )
    return _compare(name, op, value)


def _bought_within(channels: tuple[str, ...]) -> Callable[..., Q]:
    def build(op, value, rule, b: _Build) -> Q:
        did = Q(
            Exists(
                _purchases(
                    channel__in=channels, created_at__gte=b.now - timedelta(days=value)
                )
            )
        )
        return did if op == "is_true" else ~did

    return build


def _bought_category(op, value, rule, b: _Build) -> Q:
    slugs = list(value) if op == "in" else [value]
    lines = OrderLine.objects.filter(order__customer=OuterRef("pk")).exclude(
        order__status=OrderStatus.CANCELLED
    )
    lines = _windowed(lines, _since(b, rule.get("days")), "order__created_at")
    lines = lines.filter(
        Q(variant__product__category__slug__in=slugs)
        | Q(variant__product__category__parent__slug__in=slugs)
    )
    bought = Q(Exists(lines))
    return ~bought if op == "ne" else bought


def _engaged(op, value, rule, b: _Build) -> Q:
    since = b.now - timedelta(days=value)
    messages = Message.objects.filter(customer=OuterRef("pk")).filter(
        Q(opened_at__gte=since) | Q(last_clicked_at__gte=since)
    )
    if rule.get("campaign") is not None:
        messages = messages.filter(campaign_id=rule["campaign"])
    engaged = Q(Exists(messages))
    return engaged if op == "is_true" else ~engaged


def _wished(rule, since: datetime | None = None) -> Q:
    """An active item on an open list of the customer, narrowed by the rule's options:
    one semi-join the wishlist's customer index answers."""
    items = WishlistItem.objects.filter(
        wishlist__customer=OuterRef("pk"),
        wishlist__archived_at__isnull=True,
        removed_at__isnull=True,
    )
    if rule.get("variant") is not None:
        items = items.filter(variant_id=rule["variant"])
    if rule.get("category") is not None:
        slug = rule["category"]
        items = items.filter(
            Q(variant__product__category__slug=slug)
            | Q(variant__product__category__parent__slug=slug)
        )
    return Q(Exists(_windowed(items, since, "added_at")))


def _has_wishlist_item(op, value, rule, b: _Build) -> Q:
    wished = _wished(rule)
    return wished if op == "is_true" else ~wished


def _wishlist_added_within(op, value, rule, b: _Build) -> Q:
    added = _wished(rule, b.now - timedelta(days=value))
    return added if op == "is_true" else ~added


def _preferred_store(op, value, rule, b: _Build) -> Q:
    if op == "in":
        return Q(preferred_store_id__in=list(value))
    return _compare("preferred_store_id", op, value)


def _points(op, value, rule, b: _Build) -> Q:
    return _compare("points_balance", op, value)


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in [
        FieldSpec(
            "first_name",
            "text",
            TEXT_OPS,
            "First name (any case).",
            build=_text("first_name"),
        ),
        FieldSpec(
            "last_name",
            "text",
            TEXT_OPS,
            "Last name (any case).",
            build=_text("last_name"),
        ),
        FieldSpec(
            "created_channel",
            "choice",
            CHOICE_OPS,
            "Channel the profile was created in.",
            choices=tuple(Channel.values),
            build=_choice("created_channel"),
        ),
        FieldSpec(
            "birthday_month",
            "int",
            ("eq", "ne", "in"),
            "Month of the birthday, 1-12.",
            minimum=1,
            maximum=12,
            build=_birthday_month,
        ),
        FieldSpec(
            "preferred_store",
            "ref",
            CHOICE_OPS,
            "Id of the preferred store.",
            build=_preferred_store,
        ),
        FieldSpec(
            "preferred_store_city",
            "text",
            TEXT_OPS,
            "City of the preferred store.",
            build=_text("preferred_store__city"),
        ),
        *[
            FieldSpec(
                f"consent.{channel}",
                "bool",
                BOOL_OPS,
                f"{label} consent currently granted.",
                build=_consent(channel),
            )
            for channel, label in ConsentChannel.choices
        ],
        FieldSpec(
            "channels_used",
            "choice",
            CHOICE_OPS,
            "Where the customer buys: online_only (web/app), store_only, both, none.",
            choices=CHANNELS_USED,
            build=_channels_used,
        ),
        FieldSpec(
            "last_order_days",
            "int",
            ORDER_OPS,
            "Days since the latest purchase (recency).",
            minimum=0,
            maximum=MAX_DAYS,
            build=_last_order_days,
        ),
        FieldSpec(
            "orders_count",
            "int",
            COMPARE,
            'Number of purchases (frequency); optional "days" window.',
            options=("days",),
            minimum=0,
            maximum=1_000_000,
            build=_orders_count,
        ),
        FieldSpec(
            "total_spent",
            "decimal",
            COMPARE,
            'Sum of purchase totals (monetary); optional "days" window.',
            options=("days",),
            build=_total_spent,
        ),
        FieldSpec(
            "bought_in_store_within_days",
            "window",
            BOOL_OPS,
            "Bought in a shop within the last <value> days.",
            minimum=1,
            maximum=MAX_DAYS,
            build=_bought_within((Channel.STORE,)),
        ),
        FieldSpec(
            "bought_online_within_days",
            "window",
            BOOL_OPS,
            "Bought on the website or app within the last <value> days.",
            minimum=1,
            maximum=MAX_DAYS,
            build=_bought_within(ONLINE),
        ),
        FieldSpec(
            "bought_category",
            "slug",
            CHOICE_OPS,
            'Bought from a category (slug, subcategories included); optional "days".',
            options=("days",),
            build=_bought_category,
        ),
        FieldSpec(
            "engaged_with_campaign",
            "window",
            BOOL_OPS,
            "Opened or clicked a campaign message within the last <value> days; "
            'optional "campaign" id.',
            options=("campaign",),
            minimum=1,
            maximum=MAX_DAYS,
            build=_engaged,
        ),
        FieldSpec(
            "points_balance",
            "int",
            COMPARE,
            "Loyalty points balance.",
            minimum=0,
            maximum=10**9,
            build=_points,
        ),
        FieldSpec(
            "has_wishlist_item",
            "bool",
            BOOL_OPS,
            'Has an item on an open wishlist; optional "category" (slug, '
            'subcategories included) and "variant" (id).',
            options=("category", "variant"),
            build=_has_wishlist_item,
        ),
        FieldSpec(
            "wishlist_item_added_within_days",
            "window",
            BOOL_OPS,
            "Put an item (still there) on an open wishlist within the last <value> "
            'days; optional "category" and "variant".',
            options=("category", "variant"),
            minimum=1,
            maximum=MAX_DAYS,
            build=_wishlist_added_within,
        ),
    ]
}


# --- Validation ---------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value) -> bool:
    return _is_int(value) and value > 0


def _is_slug(value) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= 200


def _check_value(spec: FieldSpec, op: str, value, where: str) -> list[str]:
    """Errors for ``value`` under ``op`` (an empty list when it is fine)."""
    if spec.kind in ("bool",):
        if value is not None:
            return [f"{where}: '{op}' takes no value."]
        return []
    if op == "in":
        if not isinstance(value, list) or not value:
            return [f"{where}: 'in' needs a non-empty list of values."]
        if len(value) > 500:
            return [f"{where}: at most 500 values in a list."]
        errors: list[str] = []
        for index, item in enumerate(value):
            errors += _check_scalar(spec, item, f"{where}[{index}]")
        return errors
    return _check_scalar(spec, value, where)


def _check_scalar(spec: FieldSpec, value, where: str) -> list[str]:
    kind = spec.kind
    if kind in ("text", "slug"):
        if not isinstance(value, str) or not value.strip():
            return [f"{where}: expected a non-empty text."]
        if len(value) > 200:
            return [f"{where}: at most 200 characters."]
        return []
    if kind == "choice":
        if value not in spec.choices:
            return [f"{where}: {value!r} is not one of {', '.join(spec.choices)}."]
        return []
    if kind in ("int", "window", "ref"):
        if not _is_int(value):
            return [f"{where}: expected a whole number, got {value!r}."]
        if spec.minimum is not None and value < spec.minimum:
            return [f"{where}: must be at least {spec.minimum}."]
        if spec.maximum is not None and value > spec.maximum:
            return [f"{where}: must be at most {spec.maximum}."]
        if kind == "ref" and value <= 0:
            return [f"{where}: expected an id."]
        return []
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return [f'{where}: expected an amount such as "199.90".']
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return [f'{where}: expected an amount such as "199.90".']
        if not amount.is_finite() or amount < 0:
            return [f"{where}: expected an amount of 0 or more."]
        return []
    return [f"{where}: cannot be used."]  # pragma: no cover - every kind is listed


def _walk(rule, path: str, depth: int, errors: list[str], leaves: list) -> None:
    where = path or "rules"
    if depth > MAX_DEPTH:
        errors.append(f"{where}: groups nest at most {MAX_DEPTH} deep.")
        return
    if not isinstance(rule, dict):
        errors.append(f"{where}: expected an object (a group or a rule).")
        return
    groups = [key for key in ("all", "any", "not") if key in rule]
    if groups:
        if len(rule) != 1:
            errors.append(
                f"{where}: a group has exactly one key ('all', 'any' or 'not')."
            )
            return
        key = groups[0]
        if key == "not":
            _walk(
                rule["not"], f"{path}.not" if path else "not", depth + 1, errors, leaves
            )
            return
        children = rule[key]
        if not isinstance(children, list) or not children:
            errors.append(f"{where}: '{key}' needs a non-empty list of rules.")
            return
        for index, child in enumerate(children):
            prefix = f"{path}." if path else ""
            _walk(child, f"{prefix}{key}[{index}]", depth + 1, errors, leaves)
        return
    if "field" not in rule:
        errors.append(
            f"{where}: expected a group ('all', 'any', 'not') or a rule with "
            "'field', 'op' and 'value'."
        )
        return
    leaves.append(rule)
    name = rule.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        errors.append(
            f"{where}: unknown field {name!r}; known fields: {', '.join(FIELDS)}."
        )
        return
    unknown = set(rule) - {"field", "op", "value", *spec.options}
    if unknown:
        allowed = ", ".join(["field", "op", "value", *spec.options])
        errors.append(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} for '{name}' "
            f"(allowed: {allowed})."
        )
    op = rule.get("op")
    if op not in spec.ops:
        errors.append(
            f"{where}: operator {op!r} is not valid for '{name}'; use one of: "
            f"{', '.join(spec.ops)}."
        )
        return
    if spec.kind != "bool" and "value" not in rule:
        errors.append(f"{where}: '{name}' needs a value.")
        return
    errors += _check_value(spec, op, rule.get("value"), f"{where}.value")
    if "days" in rule and rule["days"] is not None:
        days = rule["days"]
        if not _is_int(days) or not 1 <= days <= MAX_DAYS:
            errors.append(f"{where}.days: a whole number of days from 1 to {MAX_DAYS}.")
    campaign = rule.get("campaign")
    if campaign is not None and (not _is_int(campaign) or campaign <= 0):
        errors.append(f"{where}.campaign: expected a campaign id.")
    category = rule.get("category")
    if "category" in spec.options and category is not None and not _is_slug(category):
        errors.append(f"{where}.category: expected a category slug.")
    variant = rule.get("variant")
    if "variant" in spec.options and variant is not None and not _is_id(variant):
        errors.append(f"{where}.variant: expected a variant id.")


def structure_errors(rules) -> list[str]:
    """Errors of shape, fields, operators and values; needs no database."""
    errors: list[str] = []
    leaves: list = []
    _walk(rules, "", 0, errors, leaves)
    if len(leaves) > MAX_LEAVES:
        errors.append(f"rules: at most {MAX_LEAVES} rules in a segment.")
    return errors


def _leaves(rule):
    if not isinstance(rule, dict):
        return
    for key in ("all", "any"):
        if isinstance(rule.get(key), list):
            for child in rule[key]:
                yield from _leaves(child)
            return
    if "not" in rule:
        yield from _leaves(rule["not"])
        return
    yield rule


def reference_errors(rules) -> list[str]:
    """Stores, categories, variants and campaigns named by the rules must exist."""
    stores: set[int] = set()
    slugs: set[str] = set()
    campaigns: set[int] = set()
    wished_slugs: set[str] = set()
    variants: set[int] = set()
    for leaf in _leaves(rules):
        value = leaf.get("value")
        values = value if isinstance(value, list) else [value]
        if leaf.get("field") == "preferred_store":
            stores.update(values)
        elif leaf.get("field") == "bought_category":
            slugs.update(values)
        elif leaf.get("field") == "engaged_with_campaign" and leaf.get("campaign"):
            campaigns.add(leaf["campaign"])
        if leaf.get("category") is not None:
            wished_slugs.add(leaf["category"])
        if leaf.get("variant") is not None:
            variants.add(leaf["variant"])
    errors = []
    if stores:
        missing = stores - set(
            Location.objects.filter(pk__in=stores).values_list("pk", flat=True)
        )
        if missing:
            errors.append(f"preferred_store: no store with id {sorted(missing)}.")
    if slugs:
        missing = slugs - set(
            Category.objects.filter(slug__in=slugs).values_list("slug", flat=True)
        )
        if missing:
            errors.append(f"bought_category: no category {sorted(missing)}.")
    if campaigns:
        missing = campaigns - set(
            Campaign.objects.filter(pk__in=campaigns).values_list("pk", flat=True)
        )
        if missing:
            errors.append(f"engaged_with_campaign: no campaign {sorted(missing)}.")
    if wished_slugs:
        missing = wished_slugs - set(
            Category.objects.filter(slug__in=wished_slugs).values_list(
                "slug", flat=True
            )
        )
        if missing:
            errors.append(f"category: no category {sorted(missing)}.")
    if variants:
        missing = variants - set(
            Variant.objects.filter(pk__in=variants).values_list("pk", flat=True)
        )
        if missing:
            errors.append(f"variant: no variant with id {sorted(missing)}.")
    return errors


def rule_errors(rules) -> list[str]:
    """Every error in ``rules``, each naming where it is; empty when they compile."""
    errors = structure_errors(rules)
    return errors or reference_errors(rules)


def validate_rules(rules) -> dict:
    errors = rule_errors(rules)
    if errors:
        raise ValidationFailed(
            f"The segment rules are not valid: {errors[0]}",
            code="invalid_segment",
            extra={"rules": errors},
        )
    return rules


# --- Compilation --------------------------------------------------------------------


def _to_q(rule, build: _Build) -> Q:
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
    if spec.kind == "decimal":
        value = Decimal(str(value))
    return spec.build(rule["op"], value, rule, build)


def live_customers() -> QuerySet[Customer]:
    """Profiles a campaign may address: neither merged away nor erased."""
    return Customer.objects.filter(merged_into__isnull=True, is_anonymised=False)


def compile_rules(rules, *, now: datetime | None = None) -> QuerySet[Customer]:
    """One queryset over live customers; evaluating it is one query.

    Only the shape is checked here (no query); references were checked when the rules
    were saved, and an id that has gone since simply matches nobody.

    Conditions that aggregate a customer's orders (``orders_count``, ``total_spent``)
    cost a correlated subquery per customer they are tested on. When the rules also
    have cheaper conditions (columns, ``EXISTS``), the cheap ones select candidates in
    a subquery and the aggregates are tested on the candidates only: PostgreSQL
    evaluates a filter at the lowest level it can, so in a flat query the aggregates
    would run for every customer the first join lets through.
    """
    errors = structure_errors(rules)
    if errors:
        raise ValidationFailed(
            f"The segment rules are not valid: {errors[0]}",
            code="invalid_segment",
            extra={"rules": errors},
        )
    build = _Build(now=now or timezone.now())
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
    queryset = live_customers()
    if build.aliases and cheap:
        candidates = live_customers().filter(cheap).values("pk")
        queryset = queryset.filter(pk__in=candidates)
    elif cheap:
        queryset = queryset.filter(cheap)
    if build.aliases:
        queryset = queryset.alias(**build.aliases).filter(costly)
    return queryset.order_by("pk")


def field_reference() -> list[dict]:
    """The rule fields, their operators and options, for forms and the admin."""
    return [
        {
            "field": spec.name,
            "ops": list(spec.ops),
            "options": list(spec.options),
            "choices": list(spec.choices),
            "help": spec.help,
        }
        for spec in FIELDS.values()
    ]
