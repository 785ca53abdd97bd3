"""Checkout: price the lines, source and hold the stock, take the payment, record the
order.

Rules kept here:
- ``place_order`` is one durable transaction: the order row is inserted first, so a
  repeated ``Idempotency-Key`` fails on its unique constraint before any stock is touched
  and the caller gets the order that already exists (two parallel requests make one);
- stock moves only through ``inventory.services`` (one ``reserve_stock`` call for every
  line, so a short line refuses the whole order and nothing stays reserved);
- side effects (emails, points) leave through the outbox, written in the same
  transaction, and their handlers are idempotent.

``prepare_checkout`` checks everything that can be checked before the transaction
opens; ``write_order`` (in ``placing``) writes it. An exchange uses the same two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from functools import cache

from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from inventory.models import Location, LocationKind, Variant
from omnistore.core import webhooks
from omnistore.core.actors import acting_user
from omnistore.core.channels import ASSISTED_CHANNELS, Channel
from omnistore.core.exceptions import Conflict, InsufficientStock, ValidationFailed
from orders.models import (
    Cart,
    DiscountCode,
    FulfilmentMethod,
    Order,
)
from orders.pricing import delivery_taxed
from orders.selectors.carts import on_sale
from orders.selectors.orders import payments_taken
from orders.selectors.taxes import SaleTerms, check_terms, sale_terms

from .addresses import clean_address
from .buyer import buyer_contact, identify_buyer
from .common import (
    check_quantity,
    checkout_fingerprint,
    replay,
    sellable_variants,
    to_money,
)
from .counter_prices import at_counter_prices, check_shop_currency
from .delivery import delivery_buyer, sale_delivery_fee
from .delivery_waiver import WaivedFee, checked_waiver, fee_after_waiver
from .discounts import normalize_discount_code, price_discount
from .giftcard_sales import cards_total, check_cards_sold
from .payments import PaymentRequest, check_payments
from .placing import Checkout, write_order
from .sourcing import Leg, active_location, delivery_origin, pickup_shop, plan_legs
from .staff_sale import StaffSale
from .tenders import check_cash_part
from .till import TillBooking


@dataclass(frozen=True)
class LineRequest:
    """One line to buy; ``variant`` may be a loaded ``Variant`` (no query) or its id."""

    variant: Variant | int
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    """What the storefront asks of a checkout, the same for a cart's, a buy-now and
    the payment started before them: how and where the order goes, whom to reach,
    the discount code and the ``Idempotency-Key``. Who buys, the lines and how they
    are paid are passed beside it."""

    channel: str
    fulfilment: str
    pickup_store: Location | int | None = None
    address: dict | None = None
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    discount_code: str = ""
    idempotency_key: str = ""

    def arguments(self) -> dict:
        """The keyword arguments of ``place_order`` and ``prepare_checkout`` it sets."""
        return {each.name: getattr(self, each.name) for each in fields(self)}


def place_order(
    *,
    lines: Sequence[LineRequest | tuple[Variant | int, int]],
    channel: str,
    fulfilment: str,
    pickup_store: Location | int | None = None,
    address: dict | None = None,
    customer: Customer | None = None,
    user=None,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    loyalty_number: str = "",
    payments: Sequence[PaymentRequest] | None = None,
    placing_location: Location | int | None = None,
    staff=None,
    idempotency_key: str = "",
    discount_code: str = "",
    cart: Cart | None = None,
    till: TillBooking | None = None,
    helped_by: Mapping[int, int] | None = None,
    now: datetime | None = None,
    caller: str = "",
    fingerprint: str = "",
    staff_sale: StaffSale | None = None,
) -> Order:
    """Check out: price the lines, source and hold the stock, take the payment, record
    the order, attach it to the customer and queue the receipt — all or nothing.

    The customer is ``customer`` (chosen by staff), else the signed-in ``user``'s
    profile, else the profile matched by ``email``/``phone``/``loyalty_number`` (a guest
    lands on the profile that already has that identity); a carry-out sale to a walk-in
    may have none. ``carry_out`` sells from ``placing_location`` at once and completes
    the order. With an ``idempotency_key`` a repeated call returns the first order
    (its ``idempotent_replay`` attribute is True). A counter sale names its
    ``till``: the sale is booked there in the same transaction, so a sale the till
    refuses (closed meanwhile, too little cash tendered) leaves no order.
    ``helped_by`` (variant id -> user id) names the associate each line credits.
    ``fingerprint`` replaces the keyed request's own (``checkout_fingerprint``) where
    the caller knows the request better. ``staff_sale``: the counter prices, gift
    cards sold and delivery fee waived of a sale staff take (``StaffSale``).
    """
    now = now or timezone.now()

    def prepared() -> Checkout:
        checkout = prepare_checkout(
            lines=lines,
            channel=channel,
            fulfilment=fulfilment,
            pickup_store=pickup_store,
            address=address,
            customer=customer,
            user=user,
            email=email,
            phone=phone,
            first_name=first_name,
            last_name=last_name,
            loyalty_number=loyalty_number,
            payments=payments,
            placing_location=placing_location,
            staff=staff,
            idempotency_key=idempotency_key,
            discount_code=discount_code,
            cart=cart,
            now=now,
            staff_sale=staff_sale,
        )
        checkout.till = till
        checkout.helped_by = dict(helped_by or {})
        checkout.caller = caller
        if idempotency_key:
            checkout.fingerprint = fingerprint or checkout_fingerprint(
                checkout, payments or (), checkout.gift_cards
            )
        return checkout

    return _write_sourcing_again(prepared, cart)


def _write_sourcing_again(prepared: Callable[[], Checkout], cart: Cart | None) -> Order:
    """Write the prepared checkout; when the stock it chose was taken meanwhile,
    prepare it once more and write that.

    Where the stock comes from is chosen from levels read before the transaction;
    another checkout may take those units meanwhile. It is chosen again from the
    levels as they are now, once (nothing was held or charged). A carry-out sale
    sells from the shelf at hand: there is no other place to choose."""
    checkout = prepared()
    as_read = (cart.status, cart.order) if cart is not None else None
    try:
        return _write_once(checkout)
    except InsufficientStock:
        if checkout.method == FulfilmentMethod.CARRY_OUT:
            raise
        if cart is not None:
            cart.status, cart.order = as_read  # the rolled-back close is undone
        return _write_once(prepared())


def _write_once(checkout: Checkout) -> Order:
    """Write the order in a durable transaction. A unique conflict is the same
    checkout replayed (its first order comes back), a payment already used (409),
    or a race on the number (tried again)."""
    for attempt in range(3):
        try:
            # the order's events (customer, stock, order) queued in one INSERT
            with transaction.atomic(durable=True), webhooks.gathered():
                return write_order(checkout)
        except IntegrityError:
            if checkout.idempotency_key and checkout.scope:
                existing = Order.objects.filter(
                    idempotency_scope=checkout.scope,
                    idempotency_key=checkout.idempotency_key,
                ).first()
                if existing is not None:
                    return replay(existing, checkout.fingerprint)
            if payments_taken(checkout.charged):
                raise Conflict(
                    "This payment was already used for another order: start a new "
                    "payment for this one.",
                    code="payment_already_used",
                    extra={"payment": ["This payment already paid an order."]},
                ) from None
            checkout.charged = []
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def merge_lines(
    lines: Sequence[LineRequest | tuple[Variant | int, int]], *, field: str = "lines"
) -> tuple[dict[int, int], dict[int, Variant]]:
    """Quantities by variant id (a variant listed twice adds up, each line and each
    sum within the per-line limit; errors name ``field``), and the ``Variant`` rows
    the caller passed in, by id (no query)."""
    wanted: dict[int, int] = defaultdict(int)
    loaded: dict[int, Variant] = {}
    for item in lines:
        variant, quantity = (
            (item.variant, item.quantity) if isinstance(item, LineRequest) else item
        )
        pk = variant.pk if isinstance(variant, Variant) else int(variant)
        if isinstance(variant, Variant):
            loaded[pk] = variant
        wanted[pk] += check_quantity(quantity, field)
    for quantity in wanted.values():
        check_quantity(quantity, field)
    return dict(wanted), loaded


def _for_sale(
    lines: Sequence[LineRequest | tuple[Variant | int, int]],
) -> tuple[dict[int, int], dict[int, Variant]]:
    """The merged lines and their variants: those passed in are used as they are when
    they are still for sale, the others read (and refused when retired)."""
    wanted, loaded = merge_lines(lines)
    stale = [pk for pk in wanted if pk not in loaded or not on_sale(loaded[pk])]
    if stale:
        loaded.update(sellable_variants(stale))
    return wanted, loaded


@dataclass
class _Where:
    """Where the order is taken, collected or delivered, and the point sourcing
    measures distances from."""

    placing: Location | None
    pickup_store: Location | None = None
    pickup_stock: list | None = None
    address: dict = field(default_factory=dict)
    origin: tuple | None = None


def _price_and_payments(
    order_lines: list[tuple[Variant, int]],
    *,
    terms: SaleTerms,
    discount_code: str,
    channel: str,
    customer: Customer | None,
    identified: bool,
    now: datetime,
    payments: Sequence[PaymentRequest] | None,
    gift_cards: Decimal = Decimal("0.00"),
    method: str = "",
    buyer: Callable[[], Customer | None] = lambda: None,
    waiver: WaivedFee | None = None,
) -> dict:
    """The checkout's money on the sale's terms: subtotal, discount, delivery and
    total (all tax included), each line's VAT, and the payments checked against the
    total. ``gift_cards``: what the gift cards sold with it add (no VAT, no
    discount); a delivery (``method``) pays the market's fee
    (``orders.services.delivery.sale_delivery_fee``, ``buyer`` asked for the tier)
    unless the shop waived it (``waiver``)."""
    subtotal, discount, discount_total, line_discounts = _price(
        order_lines,
        prices=terms.prices,
        discount_code=discount_code,
        channel=channel,
        customer=customer,
        identified=identified,
        now=now,
        currency=terms.currency,
    )
    delivery = sale_delivery_fee(
        terms, method=method, goods=subtotal - discount_total, buyer=buyer
    )
    delivery, waived = fee_after_waiver(
        waiver, delivery, terms.currency, goods=subtotal, buyer=buyer
    )
    subtotal += gift_cards
    total = subtotal - discount_total + delivery
    taxed = {
        variant.pk: terms.taxed(
            variant.pk,
            terms.prices[variant.pk] * quantity
            - line_discounts.get(variant.pk, Decimal("0.00")),
        )
        for variant, quantity in order_lines
    }
    tenders = check_payments(payments, total=total, channel=channel)
    check_cash_part(tenders, terms.currency)  # a split's cash, in the drawer's coins
    return {
        "subtotal": subtotal,
        "discount_total": discount_total,
        "total": total,
        "payments": tenders,
        "discount_code": discount.code if discount is not None else "",
        "discount": discount,
        "line_discounts": line_discounts,
        "taxed": taxed,
        "currency": terms.currency,
        "tax_country": terms.country,
        "legal_entity_id": terms.legal_entity_id,
        "unit_prices": terms.prices,
        "delivery_fee": delivery,
        "fee_waived": waived,
        "delivery_taxed": (
            delivery_taxed(delivery, terms.rates.values()) if delivery else None
        ),
    }


def _terms(
    method: str, where: _Where, order_lines: list[tuple[Variant, int]], now, prices
) -> SaleTerms:
    """The sale's terms: a counter sale or a pickup at its shop, a delivery to its
    country (see ``orders.selectors.taxes``), in the taking shop's currency
    (``check_shop_currency``); a counter's own ``prices`` replace the shelf price,
    a market's price list's too."""
    shop, shop_field = None, "store"
    if method == FulfilmentMethod.PICKUP:
        shop = where.pickup_store
    elif method == FulfilmentMethod.CARRY_OUT:
        shop, shop_field = where.placing, "placing_location"
    terms = check_terms(
        sale_terms(
            variants=[variant for variant, _ in order_lines],
            on=timezone.localdate(now),
            shop=shop,
            destination=where.address.get("country", ""),
            shop_field=shop_field,
        )
    )
    check_shop_currency(
        method, terms.currency, shop=where.placing, there=shop, address=where.address
    )
    for pk, price in (prices or {}).items():
        if int(pk) in terms.prices:
            terms.prices[int(pk)] = to_money(price)
    return terms


def _buyer_keys(contact: dict) -> tuple[str, str, str]:
    """What tells a delivery buyer's tier: their loyalty card, email and phone."""
    return contact["loyalty_number"], contact["email"], contact["phone"]


def prepare_checkout(
    *,
    lines: Sequence[LineRequest | tuple[Variant | int, int]],
    channel: str,
    fulfilment: str,
    now: datetime,
    pickup_store: Location | int | None = None,
    address: dict | None = None,
    customer: Customer | None = None,
    user=None,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    loyalty_number: str = "",
    payments: Sequence[PaymentRequest] | None = None,
    placing_location: Location | int | None = None,
    staff=None,
    idempotency_key: str = "",
    discount_code: str = "",
    cart: Cart | None = None,
    staff_sale: StaffSale | None = None,
) -> Checkout:
    """Check all that can be checked before the transaction: request, lines, where
    it goes, who for, price, payments, stock sources (``staff_sale``: the counter's
    prices, the gift cards sold and the delivery fee waived, ``StaffSale``)."""
    sale = staff_sale or StaffSale()
    key = _check_request(lines or sale.gift_cards, channel, fulfilment, idempotency_key)
    check_cards_sold(sale.gift_cards, payments, method=fulfilment)
    wanted, loaded = _for_sale(lines)
    loaded = at_counter_prices(loaded, sale.prices, channel)
    where, signed_in, identified, contact = _where_and_who(
        channel=channel,
        method=fulfilment,
        placing_location=placing_location,
        pickup_store=pickup_store,
        address=address,
        variant_ids=list(wanted),
        customer=customer,
        user=user,
        contact=(email, phone, first_name, last_name, loyalty_number),
    )
    order_lines = [(loaded[pk], quantity) for pk, quantity in wanted.items()]
    price = _price_and_payments(
        order_lines,
        terms=_terms(fulfilment, where, order_lines, now, sale.prices),
        discount_code=discount_code,
        channel=channel,
        customer=customer,
        identified=signed_in or identified,
        now=now,
        payments=payments,
        gift_cards=cards_total(sale.gift_cards),
        method=fulfilment,
        buyer=cache(delivery_buyer(customer, staff, *_buyer_keys(contact))),
        waiver=checked_waiver(
            sale.delivery_waiver, channel, fulfilment, staff, where.placing, cart, key
        ),
    )
    return Checkout(
        channel=channel,
        method=fulfilment,
        lines=order_lines,
        legs=_legs(fulfilment, wanted, loaded, where),
        **price,
        pickup_store=where.pickup_store,
        placing_location=where.placing,
        address=where.address,
        customer=customer,
        user=user if signed_in else None,
        staff=acting_user(staff),
        **contact,
        idempotency_key=key,
        cart=cart,
        now=now,
        gift_cards=list(sale.gift_cards),
    )


def _check_request(lines, channel: str, method: str, idempotency_key: str) -> str:
    """The channel, the fulfilment method, the key and that there are lines at all;
    returns the key, trimmed."""
    errors: dict[str, list] = {}
    if channel not in Channel.values:
        errors["channel"] = [f"Must be one of: {', '.join(Channel.values)}."]
    if method not in FulfilmentMethod.values:
        errors["fulfilment"] = [
            f"Must be one of: {', '.join(FulfilmentMethod.values)}."
        ]
    key = (idempotency_key or "").strip()
    if len(key) > 100:
        errors["idempotency_key"] = ["At most 100 characters."]
    if not lines:
        errors["lines"] = ["The order has no items."]
    if errors:
        raise ValidationFailed("The order is not valid.", extra=errors)
    return key


def _where_and_who(
    *,
    channel: str,
    method: str,
    placing_location,
    pickup_store,
    address,
    variant_ids: list[int],
    customer: Customer | None,
    user,
    contact: tuple,
) -> tuple[_Where, bool, bool, dict[str, str]]:
    """The shop collecting (with its free units of the lines, read in the same
    query), the delivery address or the selling shop, by fulfilment method;
    whether the buyer is signed in and left a ``contact``, and that contact as the
    order keeps it (``orders.services.buyer``); the problems of all of them
    refused at once."""
    errors: dict[str, list] = {}
    where = _Where(placing=active_location(placing_location, "placing_location"))
    placing = where.placing
    if method == FulfilmentMethod.PICKUP:
        where.pickup_store, where.pickup_stock = pickup_shop(pickup_store, variant_ids)
        shop = where.pickup_store
        refusal = pickup_refusal(shop)
        if refusal:
            errors["store"] = [refusal]
        else:
            where.origin = (shop.latitude, shop.longitude)
    elif method == FulfilmentMethod.DELIVERY:
        address = where.address = clean_address(address)
        where.origin = delivery_origin(address, placing=placing, customer=customer)
    elif method == FulfilmentMethod.CARRY_OUT:
        if channel != Channel.STORE:
            errors["fulfilment"] = ["Carry-out sales happen in a shop."]
        elif placing is None or not placing.sells_in_store:
            errors["placing_location"] = ["Choose the shop that sells."]
    if channel in ASSISTED_CHANNELS and placing is None:
        errors.setdefault("placing_location", ["Say where the order is taken."])
    kept = buyer_contact(
        contact,
        shop=placing or where.pickup_store,
        country=where.address.get("country", ""),
        errors=errors,
    )
    signed_in, identified = identify_buyer(
        method, customer=customer, user=user, contact=kept, errors=errors
    )
    if errors:
        raise ValidationFailed("The order is not valid.", extra=errors)
    return where, signed_in, identified, kept


def pickup_refusal(shop: Location | None) -> str:
    """Why an order cannot be collected at ``shop`` ("" when it can): only an open
    shop offering click and collect hands pickups over. Checkout and the cart's
    pickup preview refuse alike."""
    if shop is None:
        return "Choose the shop to collect from."
    if not (shop.kind == LocationKind.SHOP and shop.click_and_collect and shop.active):
        return "This shop does not offer click and collect."
    return ""


def _price(
    order_lines: list[tuple[Variant, int]],
    *,
    prices: dict[int, Decimal],
    discount_code: str,
    channel: str,
    customer: Customer | None,
    identified: bool,
    now: datetime,
    currency: str,
) -> tuple[Decimal, DiscountCode | None, Decimal, dict[int, Decimal]]:
    """The subtotal at the sale's shelf ``prices``, and the discount code with what
    it takes off in all and from each line (none without a code)."""
    subtotal = sum(
        (prices[variant.pk] * quantity for variant, quantity in order_lines),
        Decimal("0.00"),
    )
    if not normalize_discount_code(discount_code):
        return subtotal, None, Decimal("0.00"), {}
    discount, discount_total, line_discounts = price_discount(
        discount_code,
        lines=order_lines,
        prices=prices,
        subtotal=subtotal,
        channel=channel,
        customer=customer,
        identified=identified,
        now=now,
        currency=currency,
    )
    return subtotal, discount, discount_total, line_discounts


def _legs(
    method: str, wanted: dict[int, int], loaded: dict[int, Variant], where: _Where
) -> list[Leg]:
    """A carry-out sale leaves the selling shop; anything else is sourced."""
    if method == FulfilmentMethod.CARRY_OUT:
        return [Leg(method, where.placing, None, dict(wanted))]
    return plan_legs(
        method=method,
        wanted=dict(wanted),
        variants=loaded,
        pickup_store=where.pickup_store,
        pickup_stock=where.pickup_stock,
        origin=where.origin,
    )
