"""The segment rule language: fields, operators, options and their validation
(``campaigns.segments`` compiles valid rules to one SQL query over customers).

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

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps

from customers.models import ConsentChannel
from inventory.models import Category, Location, Variant
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed

MAX_DEPTH = 6
MAX_LEAVES = 60
MAX_DAYS = 3650
CHANNELS_USED = ("online_only", "store_only", "both", "none")
COMPARE = ("eq", "ne", "gt", "gte", "lt", "lte")
TEXT_OPS = ("eq", "ne", "in", "contains")
CHOICE_OPS = ("eq", "ne", "in")
BOOL_OPS = ("is_true", "is_false")
ORDER_OPS = ("gt", "gte", "lt", "lte")


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


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in [
        FieldSpec(
            "first_name",
            "text",
            TEXT_OPS,
            "First name (any case).",
        ),
        FieldSpec(
            "last_name",
            "text",
            TEXT_OPS,
            "Last name (any case).",
        ),
        FieldSpec(
            "created_channel",
            "choice",
            CHOICE_OPS,
            "Channel the profile was created in.",
            choices=tuple(Channel.values),
        ),
        FieldSpec(
            "birthday_month",
            "int",
            ("eq", "ne", "in"),
            "Month of the birthday, 1-12.",
            minimum=1,
            maximum=12,
        ),
        FieldSpec(
            "preferred_store",
            "ref",
            CHOICE_OPS,
            "Id of the preferred store.",
        ),
        FieldSpec(
            "preferred_store_city",
            "text",
            TEXT_OPS,
            "City of the preferred store.",
        ),
        *[
            FieldSpec(
                f"consent.{channel}",
                "bool",
                BOOL_OPS,
                f"{label} consent currently granted.",
            )
            for channel, label in ConsentChannel.choices
        ],
        FieldSpec(
            "channels_used",
            "choice",
            CHOICE_OPS,
            "Where the customer buys: online_only (web/app), store_only, both, none.",
            choices=CHANNELS_USED,
        ),
        FieldSpec(
            "last_order_days",
            "int",
            ORDER_OPS,
            "Days since the latest purchase (recency).",
            minimum=0,
            maximum=MAX_DAYS,
        ),
        FieldSpec(
            "orders_count",
            "int",
            COMPARE,
            'Number of purchases (frequency); optional "days" window.',
            options=("days",),
            minimum=0,
            maximum=1_000_000,
        ),
        FieldSpec(
            "total_spent",
            "decimal",
            COMPARE,
            'Sum of purchase totals (monetary); optional "days" window.',
            options=("days",),
        ),
        FieldSpec(
            "bought_in_store_within_days",
            "window",
            BOOL_OPS,
            "Bought in a shop within the last <value> days.",
            minimum=1,
            maximum=MAX_DAYS,
        ),
        FieldSpec(
            "bought_online_within_days",
            "window",
            BOOL_OPS,
            "Bought on the website or app within the last <value> days.",
            minimum=1,
            maximum=MAX_DAYS,
        ),
        FieldSpec(
            "bought_category",
            "slug",
            CHOICE_OPS,
            'Bought from a category (slug, subcategories included); optional "days".',
            options=("days",),
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
        ),
        FieldSpec(
            "points_balance",
            "int",
            COMPARE,
            "Loyalty points balance.",
            minimum=0,
            maximum=10**9,
        ),
        FieldSpec(
            "has_wishlist_item",
            "bool",
            BOOL_OPS,
            'Has an item on an open wishlist; optional "category" (slug, '
            'subcategories included) and "variant" (id).',
            options=("category", "variant"),
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
        ),
    ]
}


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
            # By label: the models validate their rules here, so this module comes
            # before them and does not import them.
            apps.get_model("campaigns", "Campaign")
            .objects.filter(pk__in=campaigns)
            .values_list("pk", flat=True)
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
