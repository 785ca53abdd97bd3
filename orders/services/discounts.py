"""Discount codes: checked, priced, claimed at checkout, released on cancel, managed.

A code is checked before the checkout transaction opens (one read, no lock) and
claimed inside it by one conditional UPDATE (``times_used < max_uses``), so parallel
checkouts of a code's last use give exactly one order: the others get a conflict and
their transaction, stock holds included, rolls back. Claims of one code queue on its
row until the order commits; the per-customer count is read after the claim, so it
sees every earlier claim of that code. Lock order: customer → code → stock (cancel:
order → customer → code → stock).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from customers.models import Customer
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import (
    DiscountChannels,
    DiscountCode,
    DiscountKind,
    DiscountRedemption,
    Order,
)

from .common import to_money

DISCOUNT_FIELD = "discount_code"


_CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")


_STORE_CHANNELS = frozenset({Channel.STORE})


def normalize_discount_code(value) -> str:
    """Codes are matched as typed, whatever the case and surrounding spaces."""
    return str(value or "").strip().upper()


def discount_code_pattern_ok(code: str) -> bool:
    """3 to 40 letters, digits, '-' or '_': easy to type at a till and in a form."""
    return bool(_CODE_PATTERN.match(code))


def _discount_error(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, extra={DISCOUNT_FIELD: [message]})


def _discount_channel(channel: str) -> str:
    """Web, app and phone orders are distance sales ("online" for a code's channels);
    a shop sale is not. Wider than ``is_online``, which leaves phone orders out: a code
    for online orders is honoured on the phone too."""
    if channel in _STORE_CHANNELS:
        return DiscountChannels.STORE
    return DiscountChannels.ONLINE


def _when(value: datetime) -> str:
    return f"{timezone.localtime(value):%d %b %Y %H:%M}"


def _held_uses(code: DiscountCode, customer: Customer, email: str = "") -> int:
    """The customer's uses of the code not given back, and, for a guest's
    ``email``, those of orders or profiles with that address (a guest order under an
    address no profile owns yet lands on a profile of its own: the address still
    counts as the same buyer)."""
    who = Q(customer=customer)
    if email:
        who |= _same_mailbox("order__email", email) | _same_mailbox(
            "customer__email", email
        )
    return DiscountRedemption.objects.filter(
        who, code=code, released_at__isnull=True
    ).count()


def _same_mailbox(field: str, email: str) -> Q:
    """Addresses of one mailbox: the address in any case, and its ``+tag`` forms
    (``ada+1@example.com`` is delivered to ``ada@example.com``)."""
    local, _, domain = email.rpartition("@")
    base = local.split("+", 1)[0]
    if not base or not domain:
        return Q(**{f"{field}__iexact": email})
    tagged = {f"{field}__istartswith": f"{base}+", f"{field}__iendswith": f"@{domain}"}
    return Q(**{f"{field}__iexact": f"{base}@{domain}"}) | Q(**tagged)


def _check_customer_uses(code: DiscountCode, customer: Customer, email="") -> None:
    limit = code.max_uses_per_customer
    if limit and _held_uses(code, customer, email) >= limit:
        raise _discount_error(
            "You have already used this code."
            if limit == 1
            else f"You have already used this code {limit} times, the most allowed.",
            "discount_already_used",
        )


def _discount_amount(code: DiscountCode, subtotal: Decimal) -> Decimal:
    """A percentage of the subtotal rounded half-up to cents; a fixed amount never
    more than the subtotal (the order does not go below zero)."""
    if code.kind == DiscountKind.PERCENTAGE:
        amount = (subtotal * code.value / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    else:
        amount = to_money(code.value)
    return min(amount, subtotal)


def _check_code_usable(found: DiscountCode, *, channel: str, now: datetime) -> None:
    """The code's own terms, whoever uses it and whatever the basket: switched on,
    within its dates at ``now``, valid on ``channel``, uses left."""
    if not found.active:
        raise _discount_error("This code is no longer valid.", "discount_inactive")
    if found.valid_from is not None and now < found.valid_from:
        raise _discount_error(
            f"This code is valid from {_when(found.valid_from)}.",
            "discount_not_yet_valid",
        )
    if found.valid_until is not None and now >= found.valid_until:
        raise _discount_error(
            f"This code expired on {_when(found.valid_until)}.", "discount_expired"
        )
    if found.channels != DiscountChannels.BOTH and found.channels != _discount_channel(
        channel
    ):
        where = "in store" if found.channels == DiscountChannels.STORE else "online"
        raise _discount_error(
            f"This code is valid {where} only.", "discount_wrong_channel"
        )
    if found.max_uses is not None and found.times_used >= found.max_uses:
        raise _discount_error("This code has been used up.", "discount_used_up")


def discount_code_refusal(code: DiscountCode, *, channel: str, now: datetime) -> str:
    """Why nobody could use ``code`` on ``channel`` at ``now`` ("" when they could):
    checkout's own refusals before it looks at the customer and the basket, for
    those who hand a code out (a campaign checks the code it sends)."""
    try:
        _check_code_usable(code, channel=channel, now=now)
    except ValidationFailed as error:
        return error.message
    return ""


def _valid_discount(
    value,
    *,
    subtotal: Decimal,
    channel: str,
    customer: Customer | None,
    now: datetime,
    currency: str | None = None,
) -> tuple[DiscountCode, Decimal]:
    """The code and what it takes off ``subtotal`` (in ``currency``, the home one
    when not said), or one refusal saying why."""
    code = normalize_discount_code(value)
    if not code:
        raise _discount_error("Enter a discount code.", "discount_required")
    found = DiscountCode.objects.filter(code=code[:40]).first()
    if found is None:
        raise _discount_error(f"Unknown discount code {code}.", "discount_unknown")
    _check_code_usable(found, channel=channel, now=now)
    if customer is not None:
        _check_customer_uses(found, customer)
    home = settings.OMNISTORE_CURRENCY
    currency = currency or home
    if currency != home and (
        found.kind != DiscountKind.PERCENTAGE or found.min_subtotal
    ):
        # Its amount or its minimum is in the home currency: not one for one in francs.
        raise _discount_error(
            f"This code is for orders in {home}; this one is in {currency}.",
            "discount_wrong_currency",
        )
    subtotal = to_money(subtotal)
    if subtotal < found.min_subtotal:
        raise _discount_error(
            f"This code needs an order of at least {found.min_subtotal} {currency} "
            f"(this one is {subtotal} {currency}).",
            "discount_minimum",
        )
    return found, _discount_amount(found, subtotal)


def _spread_discount(
    amount: Decimal, lines: Sequence[tuple[int, Decimal]]
) -> dict[int, Decimal]:
    """Split ``amount`` over lines in proportion to their value, to the cent, the
    largest remainders taking the odd cents: the shares add up to ``amount`` and a
    line never gets more than its value, so a returned line refunds what was paid."""
    total = sum((value for _, value in lines), Decimal("0"))
    if amount <= 0 or total <= 0:
        return {key: Decimal("0.00") for key, _ in lines}
    cents = int(amount * 100)
    exact = [(key, Decimal(cents) * value / total) for key, value in lines]
    shares = {key: math.floor(part) for key, part in exact}
    left = cents - sum(shares.values())
    by_remainder = sorted(
        range(len(exact)), key=lambda i: (-(exact[i][1] - shares[exact[i][0]]), i)
    )
    for index in by_remainder[:left]:
        shares[exact[index][0]] += 1
    return {key: Decimal(share) / 100 for key, share in shares.items()}


def preview_discount(
    *,
    code: str,
    subtotal: Decimal,
    customer: Customer | None = None,
    channel: str,
    currency: str | None = None,
    now: datetime | None = None,
) -> Decimal:
    """What ``code`` takes off a basket of ``subtotal`` in ``currency`` (the
    sale's, as checkout prices it; the home one when not said) on ``channel``, for
    the cart and the sale basket: refused for the same reasons checkout refuses it.
    Changes nothing and holds nothing, so checkout checks again and claims the use.
    """
    _, amount = _valid_discount(
        code,
        subtotal=to_money(subtotal),
        channel=channel,
        customer=customer,
        now=now or timezone.now(),
        currency=currency,
    )
    return amount


def price_discount(
    value,
    *,
    lines,
    subtotal: Decimal,
    channel: str,
    customer,
    identified: bool,
    now,
    prices: dict[int, Decimal] | None = None,
    currency: str | None = None,
) -> tuple[DiscountCode | None, Decimal, dict[int, Decimal]]:
    """Checkout's pricing of a code: the amount and each line's share, by variant,
    in proportion to the lines' value at ``prices`` (the sale's shelf prices; the
    catalogue's without). Without goods (gift cards sold alone) a code has nothing
    to take off: it is left out, neither checked nor claimed, as the counter's
    basket leaves it out."""
    if not lines:
        return None, Decimal("0.00"), {}
    code, amount = _valid_discount(
        value,
        subtotal=subtotal,
        channel=channel,
        customer=customer,
        now=now,
        currency=currency,
    )
    if code.max_uses_per_customer and customer is None and not identified:
        raise _discount_error(
            "This code is limited per customer: attach the customer first.",
            "discount_needs_customer",
        )
    shares = _spread_discount(
        amount,
        [
            (
                variant.pk,
                (prices[variant.pk] if prices else to_money(variant.price)) * quantity,
            )
            for variant, quantity in lines
        ],
    )
    return code, amount, shares


def claim_discount(checkout, order: Order, customer: Customer | None) -> None:
    """Take one use of the code inside the order's transaction.

    One conditional UPDATE: no rows means the last use went to another order since the
    check (or the code was switched off), and the whole order rolls back. The row
    stays locked until commit, so the per-customer count read next sees every earlier
    claim of this code.
    """
    code = checkout.discount
    claimed = (
        DiscountCode.objects.filter(pk=code.pk, active=True)
        .filter(Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")))
        .update(times_used=F("times_used") + 1)
    )
    if not claimed:
        if DiscountCode.objects.filter(pk=code.pk, active=False).exists():
            message, error = "This code is no longer valid.", "discount_inactive"
        else:
            message, error = "This code has been used up.", "discount_used_up"
        raise Conflict(message, code=error, extra={DISCOUNT_FIELD: [message]})
    if code.max_uses_per_customer:
        if customer is None:
            raise _discount_error(
                "This code is limited per customer: attach the customer first.",
                "discount_needs_customer",
            )
        # A guest is known by the address typed (an address no profile owns yet
        # makes a profile of its own each time). A signed-in or attached customer
        # counts their own uses only: a stranger's guest order under their address
        # (not proven, so on another profile) does not spend their code.
        guest = checkout.customer is None and checkout.user is None
        _check_customer_uses(code, customer, order.email if guest else "")
    DiscountRedemption.objects.create(
        code=code,
        order=order,
        customer=customer,
        amount=checkout.discount_total,
        created_at=checkout.now,
    )


def release_discount(order: Order, *, now: datetime) -> None:
    """A cancelled order gives its use back (once: the redemption is marked released
    under the order's lock). The customer row is locked before the code, as checkout
    does, so a cancel and a checkout of one customer never wait on each other."""
    redemption = (
        DiscountRedemption.objects.filter(order=order, released_at__isnull=True)
        .only("pk", "code_id")
        .first()
    )
    if redemption is None:
        return
    if order.customer_id is not None:
        list(
            Customer.objects.select_for_update(no_key=True)
            .filter(pk=order.customer_id)
            .values_list("pk", flat=True)
        )
    DiscountRedemption.objects.filter(pk=redemption.pk).update(released_at=now)
    DiscountCode.objects.filter(pk=redemption.code_id, times_used__gt=0).update(
        times_used=F("times_used") - 1
    )


def _clean_code_fields(data: dict, errors: dict) -> dict:
    """Shared checks of a code's terms (creation and later changes): the terms given,
    cleaned, each refusal in ``errors`` under its field."""
    clean: dict = {}
    for name, check in _TERM_CHECKS.items():
        if name in data:
            check(name, data[name], clean, errors)
    return clean


def _check_choice(choices):
    def check(name: str, value, clean: dict, errors: dict) -> None:
        if value not in choices.values:
            errors[name] = [f"Must be one of: {', '.join(choices.values)}."]
        clean[name] = value

    return check


def _check_amount(name: str, value, clean: dict, errors: dict) -> None:
    try:
        clean[name] = to_money(value if value is not None else 0)
    except (ArithmeticError, TypeError, ValueError):
        errors[name] = ["Enter an amount such as 10 or 12.50."]


def _whole_positive(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_limit(name: str, value, clean: dict, errors: dict) -> None:
    if value in ("", None):
        clean[name] = None
    elif not _whole_positive(value):
        errors[name] = ["A whole number of at least 1, or empty for no limit."]
    else:
        clean[name] = value


def _check_moment(name: str, value, clean: dict, errors: dict) -> None:
    if value is not None and timezone.is_naive(value):
        errors[name] = ["Give a date and time with its time zone."]
    clean[name] = value


# Campaigns sit above orders: the campaigns app tells which ids are campaigns
# (``register_campaign_lookup``, from its ``ready``), so a code never names a campaign
# that is not there, and orders imports nothing of campaigns.
_CAMPAIGN_LOOKUP: dict[str, Callable[[int], bool]] = {}
CAMPAIGN_ID_MAX = 2**31 - 1  # what the column holds on every database


def register_campaign_lookup(exists: Callable[[int], bool]) -> None:
    _CAMPAIGN_LOOKUP["exists"] = exists


def campaign_id_problem(value) -> str:
    """Why ``value`` cannot be the campaign of a code ("" when it can: empty, or the
    id of a campaign)."""
    if value is None:
        return ""
    if not _whole_positive(value):
        return "A campaign id, or empty."
    exists = _CAMPAIGN_LOOKUP.get("exists")
    if value > CAMPAIGN_ID_MAX or (exists is not None and not exists(value)):
        return f"There is no campaign {value}."
    return ""


def _check_campaign(name: str, value, clean: dict, errors: dict) -> None:
    problem = campaign_id_problem(value)
    if problem:
        errors[name] = [problem]
    clean[name] = value


# In the order the errors list them.
_TERM_CHECKS = {
    "kind": _check_choice(DiscountKind),
    "value": _check_amount,
    "min_subtotal": _check_amount,
    "max_uses": _check_limit,
    "max_uses_per_customer": _check_limit,
    "valid_from": _check_moment,
    "valid_until": _check_moment,
    "channels": _check_choice(DiscountChannels),
    "campaign_id": _check_campaign,
}


def _check_code_terms(code: DiscountCode, errors: dict) -> None:
    """The terms that depend on one another: the model's own rules (the value for its
    kind, the end of validity after its start), as its admin form shows them."""
    try:
        code.clean()
    except DjangoValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, messages)
    if code.min_subtotal < 0:
        errors.setdefault("min_subtotal", ["Zero or more."])
    if code.max_uses is not None and code.times_used > code.max_uses:
        errors.setdefault(
            "max_uses", [f"Already used {code.times_used} times: at least that."]
        )


@transaction.atomic
def create_discount_code(
    *,
    code: str,
    kind: str,
    value: Decimal,
    min_subtotal: Decimal = Decimal("0"),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    max_uses: int | None = None,
    max_uses_per_customer: int | None = None,
    channels: str = DiscountChannels.BOTH,
    campaign_id: int | None = None,
    active: bool = True,
    actor=None,
    now: datetime | None = None,
) -> DiscountCode:
    """A new code, valid online and in store unless ``channels`` says otherwise.

    Used by the admin and by campaigns (which pass their ``campaign_id``); the code is
    stored upper-case and must be new.
    """
    errors: dict[str, list] = {}
    text = normalize_discount_code(code)
    if not discount_code_pattern_ok(text):
        errors["code"] = [
            "3 to 40 letters, digits, '-' or '_', starting with a letter or digit."
        ]
    clean = _clean_code_fields(
        {
            "kind": kind,
            "value": value,
            "min_subtotal": min_subtotal,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "max_uses": max_uses,
            "max_uses_per_customer": max_uses_per_customer,
            "channels": channels,
            "campaign_id": campaign_id,
        },
        errors,
    )
    discount = DiscountCode(
        code=text,
        active=bool(active),
        created_by=acting_user(actor),
        created_at=now or timezone.now(),
        **clean,
    )
    if not errors:
        _check_code_terms(discount, errors)
    if errors:
        raise ValidationFailed("The discount code is not valid.", extra=errors)
    try:
        with transaction.atomic():
            discount.save()
    except IntegrityError:
        if DiscountCode.objects.filter(code=text).exists():
            raise ValidationFailed(
                f"The code {text} exists already.",
                code="discount_code_taken",
                extra={"code": [f"{text} exists already: choose another code."]},
            ) from None
        raise
    return discount


DISCOUNT_EDITABLE_TERMS = (
    "min_subtotal",
    "valid_from",
    "valid_until",
    "max_uses",
    "max_uses_per_customer",
    "channels",
    "campaign_id",
)


def _lock_discount(code: DiscountCode | int | str) -> DiscountCode:
    if isinstance(code, DiscountCode):
        where = Q(pk=code.pk)
    elif isinstance(code, int):
        where = Q(pk=code)
    else:
        where = Q(code=normalize_discount_code(code))
    found = DiscountCode.objects.select_for_update().filter(where).first()
    if found is None:
        raise NotFound("Discount code not found.")
    return found


@transaction.atomic
def update_discount_code(
    *, code: DiscountCode | int | str, actor=None, **changes
) -> DiscountCode:
    """Change a code's terms (validity, limits, channels, minimum, campaign). What it
    takes off (kind and value) stays as orders were priced with it; a limit never
    drops below the uses already held. The row is locked, so checkouts claiming it
    wait."""
    unknown = set(changes) - set(DISCOUNT_EDITABLE_TERMS)
    if unknown:
        raise ValidationFailed(
            "These terms cannot change.",
            extra={name: ["Cannot change once created."] for name in sorted(unknown)},
        )
    discount = _lock_discount(code)
    errors: dict[str, list] = {}
    clean = _clean_code_fields(changes, errors)
    for name, value in clean.items():
        setattr(discount, name, value)
    if not errors:
        _check_code_terms(discount, errors)
    if errors:
        raise ValidationFailed("The discount code is not valid.", extra=errors)
    if clean:
        discount.save(update_fields=list(clean))
    return discount


@transaction.atomic
def deactivate_discount_code(
    *, code: DiscountCode | int | str, actor=None, now: datetime | None = None
) -> DiscountCode:
    """Stop a code being used from now on; orders that used it keep their price.
    Switching off a code already off changes nothing."""
    discount = _lock_discount(code)
    if not discount.active:
        return discount
    discount.active = False
    discount.deactivated_at = now or timezone.now()
    discount.deactivated_by = acting_user(actor)
    discount.save(update_fields=["active", "deactivated_at", "deactivated_by"])
    return discount
