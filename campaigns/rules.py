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
"store" a sale by a shop's staff: at its counter or by phone (an assisted sale).
``last_order_days`` is the number of days since the latest purchase: customers who
never bought match none of its comparisons. ``*_within_days`` and
``engaged_with_campaign`` take the number of days as their value and
``is_true``/``is_false``.

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
from omnistore.core.db import LARGEST_KEY

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
            "Where the customer buys: online_only (web/app), store_only (at a shop's "
            "counter or by phone), both, none.",
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
            "Sum of purchase totals (monetary) as placed, before refunds, in the home "
            "currency only: orders in other currencies (francs) are not counted; "
            'optional "days" window.',
            options=("days",),
        ),
        FieldSpec(
            "bought_in_store_within_days",
            "window",
            BOOL_OPS,
            "Bought in a shop (at its counter or by phone) within the last <value> "
            "days.",
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
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= 200
        and "\x00" not in value
    )


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


def _text_errors(spec: FieldSpec, value, where: str) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [f"{where}: expected a non-empty text."]
    if len(value) > 200:
        return [f"{where}: at most 200 characters."]
    if "\x00" in value:  # no text column can hold it, nor match it
        return [f"{where}: null characters are not allowed."]
    return []


def _choice_errors(spec: FieldSpec, value, where: str) -> list[str]:
    if value not in spec.choices:
        return [f"{where}: {value!r} is not one of {', '.join(spec.choices)}."]
    return []


def _whole_number_errors(spec: FieldSpec, value, where: str) -> list[str]:
    """Counts, day windows and ids: whole numbers within the field's bounds (a bool
    is not a number here, though Python counts it as one)."""
    if not _is_int(value):
        return [f"{where}: expected a whole number, got {value!r}."]
    if spec.minimum is not None and value < spec.minimum:
        return [f"{where}: must be at least {spec.minimum}."]
    if spec.maximum is not None and value > spec.maximum:
        return [f"{where}: must be at most {spec.maximum}."]
    if spec.kind == "ref" and value <= 0:
        return [f"{where}: expected an id."]
    return []


def _amount_errors(spec: FieldSpec, value, where: str) -> list[str]:
    """Amounts come as JSON numbers or strings; both must read as a finite
    ``Decimal`` of 0 or more, the way totals are compared in SQL."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return [f'{where}: expected an amount such as "199.90".']
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return [f'{where}: expected an amount such as "199.90".']
    if not amount.is_finite() or amount < 0:
        return [f"{where}: expected an amount of 0 or more."]
    if amount > MAX_AMOUNT or amount != amount.quantize(CENT_AMOUNT):
        # Past what a total can hold, or finer than a cent: 1e999999 and 1E-999999
        # overflow the database's numbers rather than compare with them.
        return [f"{where}: expected an amount up to {MAX_AMOUNT} in cents at most."]
    return []


# The largest amount a rule compares totals with (orders' totals are 12 digits).
MAX_AMOUNT = Decimal("9999999999.99")
CENT_AMOUNT = Decimal("0.01")


# The check for one value of each field kind ("bool" fields take no value).
_SCALAR_CHECKS = {
    "text": _text_errors,
    "slug": _text_errors,
    "choice": _choice_errors,
    "int": _whole_number_errors,
    "window": _whole_number_errors,
    "ref": _whole_number_errors,
    "decimal": _amount_errors,
}


def _check_scalar(spec: FieldSpec, value, where: str) -> list[str]:
    check = _SCALAR_CHECKS.get(spec.kind)
    if check is None:  # pragma: no cover - every kind is listed
        return [f"{where}: cannot be used."]
    return check(spec, value, where)


def _walk(rule, path: str, depth: int, errors: list[str], leaves: list) -> None:
    """Checks ``rule`` and everything under it, appending to ``errors``; every leaf
    met is appended to ``leaves`` so the caller can bound their number."""
    where = path or "rules"
    if depth > MAX_DEPTH:
        errors.append(f"{where}: groups nest at most {MAX_DEPTH} deep.")
        return
    if not isinstance(rule, dict):
        errors.append(f"{where}: expected an object (a group or a rule).")
        return
    groups = [key for key in ("all", "any", "not") if key in rule]
    if groups:
        _walk_group(rule, groups[0], path, depth, errors, leaves)
        return
    if "field" not in rule:
        errors.append(
            f"{where}: expected a group ('all', 'any', 'not') or a rule with "
            "'field', 'op' and 'value'."
        )
        return
    leaves.append(rule)
    errors.extend(_leaf_errors(rule, where))


def _walk_group(
    rule: dict, key: str, path: str, depth: int, errors: list[str], leaves: list
) -> None:
    """A group holds one key: ``not`` wraps one rule, ``all``/``any`` a list."""
    where = path or "rules"
    if len(rule) != 1:
        errors.append(f"{where}: a group has exactly one key ('all', 'any' or 'not').")
        return
    if key == "not":
        _walk(rule["not"], f"{path}.not" if path else "not", depth + 1, errors, leaves)
        return
    children = rule[key]
    if not isinstance(children, list) or not children:
        errors.append(f"{where}: '{key}' needs a non-empty list of rules.")
        return
    prefix = f"{path}." if path else ""
    for index, child in enumerate(children):
        _walk(child, f"{prefix}{key}[{index}]", depth + 1, errors, leaves)


def _leaf_errors(rule: dict, where: str) -> list[str]:
    """Errors of one ``{"field", "op", "value", ...}`` rule.

    An unknown field, a wrong operator or a missing value stops there: what follows
    could only be judged against the field and operator.
    """
    name = rule.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        return [f"{where}: unknown field {name!r}; known fields: {', '.join(FIELDS)}."]
    errors = _unknown_key_errors(rule, spec, where)
    op = rule.get("op")
    if op not in spec.ops:
        errors.append(
            f"{where}: operator {op!r} is not valid for '{name}'; use one of: "
            f"{', '.join(spec.ops)}."
        )
        return errors
    if spec.kind != "bool" and "value" not in rule:
        errors.append(f"{where}: '{name}' needs a value.")
        return errors
    errors += _check_value(spec, op, rule.get("value"), f"{where}.value")
    errors += _option_errors(rule, spec, where)
    return errors


def _unknown_key_errors(rule: dict, spec: FieldSpec, where: str) -> list[str]:
    allowed = ["field", "op", "value", *spec.options]
    unknown = set(rule) - set(allowed)
    if not unknown:
        return []
    return [
        f"{where}: unknown key(s) {', '.join(sorted(unknown))} for '{spec.name}' "
        f"(allowed: {', '.join(allowed)})."
    ]


def _option_errors(rule: dict, spec: FieldSpec, where: str) -> list[str]:
    """The options a leaf narrows its field with (``days``, ``campaign``,
    ``category``, ``variant``); a null option is the same as leaving it out."""
    errors = []
    days = rule.get("days")
    if days is not None and (not _is_int(days) or not 1 <= days <= MAX_DAYS):
        errors.append(f"{where}.days: a whole number of days from 1 to {MAX_DAYS}.")
    campaign = rule.get("campaign")
    if campaign is not None and not _is_id(campaign):
        errors.append(f"{where}.campaign: expected a campaign id.")
    category = rule.get("category")
    if "category" in spec.options and category is not None and not _is_slug(category):
        errors.append(f"{where}.category: expected a category slug.")
    variant = rule.get("variant")
    if "variant" in spec.options and variant is not None and not _is_id(variant):
        errors.append(f"{where}.variant: expected a variant id.")
    return errors


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


def _named_references(rules) -> dict[str, set]:
    """What the rules name that must exist, by the key its error is reported under."""
    named: dict[str, set] = {key: set() for key, _, _ in _REFERENCE_CHECKS}
    for leaf in _leaves(rules):
        value = leaf.get("value")
        values = value if isinstance(value, list) else [value]
        field = leaf.get("field")
        if field in ("preferred_store", "bought_category"):
            named[field].update(values)
        elif field == "engaged_with_campaign" and leaf.get("campaign"):
            named[field].add(leaf["campaign"])
        for option in ("category", "variant"):
            if leaf.get(option) is not None:
                named[option].add(leaf[option])
    return named


def _existing_stores(ids: set[int]) -> set[int]:
    return set(Location.objects.filter(pk__in=ids).values_list("pk", flat=True))


def _existing_category_slugs(slugs: set[str]) -> set[str]:
    return set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True))


def _existing_campaigns(ids: set[int]) -> set[int]:
    # By label: the models validate their rules here, so this module comes
    # before them and does not import them.
    campaign_model = apps.get_model("campaigns", "Campaign")
    return set(campaign_model.objects.filter(pk__in=ids).values_list("pk", flat=True))


def _existing_variants(ids: set[int]) -> set[int]:
    return set(Variant.objects.filter(pk__in=ids).values_list("pk", flat=True))


# One query per kind of reference the rules use, in the order errors are listed.
_REFERENCE_CHECKS = (
    ("preferred_store", _existing_stores, "preferred_store: no store with id {}."),
    ("bought_category", _existing_category_slugs, "bought_category: no category {}."),
    (
        "engaged_with_campaign",
        _existing_campaigns,
        "engaged_with_campaign: no campaign {}.",
    ),
    ("category", _existing_category_slugs, "category: no category {}."),
    ("variant", _existing_variants, "variant: no variant with id {}."),
)


def _may_be_a_key(value) -> bool:
    """An id past the largest key is no row's: it is not looked up (the database
    cannot even compare its key column with it) and is reported missing."""
    return not _is_int(value) or value <= LARGEST_KEY


def reference_errors(rules) -> list[str]:
    """Stores, categories, variants and campaigns named by the rules must exist."""
    named = _named_references(rules)
    errors = []
    for key, existing, message in _REFERENCE_CHECKS:
        wanted = named[key]
        if not wanted:
            continue
        lookable = {value for value in wanted if _may_be_a_key(value)}
        missing = wanted - (existing(lookable) if lookable else set())
        if missing:
            errors.append(message.format(sorted(missing)))
    return errors


def rule_errors(rules) -> list[str]:
    """Every error in ``rules``, each naming where it is; empty when they compile."""
    errors = structure_errors(rules)
    return errors or reference_errors(rules)
