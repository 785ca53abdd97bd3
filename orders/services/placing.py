"""A prepared checkout written as an order, inside the caller's transaction.

A counter sale first locks its basket and its till's session (``lock_counter``: the
counter's lock order). The order row goes in next (its unique idempotency key and
number refuse a duplicate before any stock is touched), then the cart is closed, a
waived fee's approval used and the discount claimed, then fulfilments, lines, the
stock (one ``reserve_stock`` or ``sell_stock`` call for every line), the payments,
the history and the customer's timeline; the receipt and points leave through the
outbox. The steps keep that order: the statements and the locks they take are the
same for every checkout.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from customers.models import Customer
from customers.services.identities import lock_live_profile
from customers.services.matching import match_customer
from inventory.models import Location, Variant
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock, sell_stock
from inventory.services.transfers import request_transfer
from omnistore.core import outbox
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.db import insert_rows
from orders.models import (
    Cart,
    DiscountCode,
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    OrderTaxTotal,
    Payment,
    PaymentMethod,
)
from orders.payments.base import cart_tag
from orders.payments.registry import provider_for
from orders.pricing import TaxedAmount, tax_totals

from .carts import cart_checked_out, close_cart, storefront_customer
from .common import (
    ORDER_REFERENCE,
    cache_related,
    new_order_number,
    order_webhook,
    record_order_placed,
    to_money,
)
from .counter_locks import lock_counter
from .counter_prices import CounterPriced, counter_priced, price_set_history
from .delivery_waiver import WaivedFee, record_fee_waiver
from .discounts import claim_discount
from .giftcard_sales import GiftCardSale, activate_sold_cards, cards_total
from .giftcards import spend_gift_card
from .intent_scope import paid_for
from .line_shares import take_share
from .payment_release import refuse_given_back
from .payments import PaymentRequest, captures_at_checkout, spend_store_credit
from .sourcing import Leg
from .tender_sources import check_shared_sources
from .tenders import STORED_VALUE, naming_tender, require_owner, spend_points
from .till import TillBooking, book_counter_sale

TRANSFER_LEAD_DAYS = 2
# What the note of the order's placing says of a sale staff take that spent the
# store credit or points of a customer they reached by their loyalty card number:
# the card was the counter's proof the customer holds them.
CARD_SHOWN_NOTE = " · customer identified by loyalty card"
# Stored value that belongs to a profile (a gift card is whoever holds it).
OWNER_VALUE = STORED_VALUE - {PaymentMethod.GIFT_CARD}


@dataclass
class Checkout:
    """Everything checked before the transaction opens: what ``write_order`` writes."""

    channel: str
    method: str
    lines: list[tuple[Variant, int]]
    legs: list[Leg]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    payments: list[PaymentRequest]
    pickup_store: Location | None
    placing_location: Location | None
    address: dict
    customer: Customer | None
    user: object
    staff: object
    email: str
    phone: str
    first_name: str
    last_name: str
    loyalty_number: str
    idempotency_key: str
    discount_code: str
    cart: Cart | None
    now: datetime
    scope: str = ""
    fingerprint: str = ""  # what the keyed request asked for (``request_fingerprint``)
    discount: DiscountCode | None = None
    line_discounts: dict[int, Decimal] = field(default_factory=dict)
    # The sale's terms (``orders.selectors.taxes``): its currency, whose VAT, who
    # sells, each variant's shelf price and each line's VAT, by variant.
    currency: str = ""
    tax_country: str = ""
    legal_entity_id: int | None = None
    unit_prices: dict[int, Decimal] = field(default_factory=dict)
    taxed: dict[int, TaxedAmount] = field(default_factory=dict)
    till: TillBooking | None = None
    # The associate each line credits (helped sell it), by variant: user ids.
    helped_by: dict[int, int] = field(default_factory=dict)
    # The provider payments taken, as (provider, reference): when the order cannot
    # be written, checkout tells a payment already used from other conflicts.
    charged: list[tuple[str, str]] = field(default_factory=list)
    # Who is paying, for counting wrong gift card PINs (a user id or an address).
    caller: str = ""
    # Gift cards sold with the sale, activated in its transaction.
    gift_cards: list[GiftCardSale] = field(default_factory=list)
    # What delivery costs (in ``total``) and its VAT; none when it travels free.
    delivery_fee: Decimal = Decimal("0.00")
    delivery_taxed: TaxedAmount | None = None
    # The delivery fee the shop waived (not in ``delivery_fee``), for the order to keep.
    fee_waived: WaivedFee | None = None


def write_order(checkout: Checkout) -> Order:
    """Write the prepared checkout as a new order in the caller's transaction; the
    rows written are kept on the order, so the response is rendered without reading
    them back."""
    if checkout.till is not None:  # a counter sale: the counter's locks come first
        lock_counter(session=checkout.till.session, cart=checkout.cart)
    number = new_order_number()
    customer = _resolve_customer(checkout, number)
    # A guest's profile comes from match_customer, which locked the live row here.
    matched_here = checkout.customer is None and checkout.user is None
    checkout.scope = _scope(checkout, None if matched_here else customer)
    guest = matched_here and checkout.staff is None
    order = _new_order(checkout, None if guest else customer, number, customer)
    insert_rows([order])
    if checkout.cart is not None and not close_cart(checkout.cart, order, checkout.now):
        raise cart_checked_out()
    waived = record_fee_waiver(checkout.fee_waived, order, now=checkout.now)
    if checkout.discount is not None:
        claim_discount(checkout, order, customer)
    fulfilments, held = _write_fulfilments(checkout, order)
    shop = checkout.placing_location
    priced = counter_priced(checkout.lines, checkout.cart, shop, checkout.now)
    order_lines = _write_lines(checkout, order, fulfilments, priced)
    totals = _write_tax_totals(checkout, order)
    _move_stock(checkout, number, held)
    cards = activate_sold_cards(
        checkout.gift_cards,
        order=order,
        location=checkout.placing_location,
        actor=checkout.staff,
        now=checkout.now,
    )
    payment_rows = _take_payments(checkout, order, customer)
    if checkout.till is not None:  # a counter sale: on the till, or not at all
        book_counter_sale(
            session=checkout.till.session,
            order=order,
            tendered=checkout.till.tendered,
            actor=checkout.staff,
            now=checkout.now,
        )
    placed = OrderStatusChange(
        order=order,
        to_status=order.status,
        actor=_placed_by(checkout),
        location=checkout.placing_location,
        at=checkout.now,
        note=_placing_note(checkout, order, waived),
    )
    history = [placed, *price_set_history(placed, priced, checkout.lines)]
    insert_rows(history)
    if customer is not None:
        record_order_placed(
            order,
            customer,
            payments=payment_rows,
            lines=len(order_lines),
            location=checkout.placing_location or checkout.pickup_store,
            actor=_placed_by(checkout),
            now=checkout.now,
            locked=matched_here,
        )
    outbox.enqueue(
        "orders.placed", {"order_id": order.pk}, dedupe_key=f"orders.placed:{order.pk}"
    )
    order_webhook(order, "placed")
    cache_related(order, "lines", order_lines)
    cache_related(order, "tax_totals", totals)
    cache_related(order, "fulfilments", fulfilments)
    cache_related(order, "payments", payment_rows)
    cache_related(order, "gift_cards_sold", cards)
    cache_related(order, "history", history)
    for payment in payment_rows:
        cache_related(payment, "refunds", [])
    order.idempotent_replay = False
    return order


def _placing_note(checkout: Checkout, order: Order, waived: str) -> str:
    """The channel the order came by; for a sale staff take paid with the store
    credit or points of a customer reached by their loyalty card, that the card
    identified them (``CARD_SHOWN_NOTE``); then the delivery fee ``waived``. At
    most the note's 250 characters."""
    note = f"Placed via {Channel(order.channel).label}"
    if (
        checkout.staff is not None
        and checkout.loyalty_number
        and any(p.method in OWNER_VALUE for p in checkout.payments)
    ):
        note += CARD_SHOWN_NOTE
    return f"{note}{waived}"[:250]


def _resolve_customer(checkout: Checkout, number: str) -> Customer | None:
    """The buyer's live profile, locked for the order's transaction (a guest's by
    ``match_customer``, a new one recording ``number`` as the purchase that made
    it): a merge of it meanwhile waits for the order and then moves it, or went
    first and the order follows to the survivor; an erased profile takes no order
    (409)."""
    if checkout.customer is not None:
        return lock_live_profile(checkout.customer)
    location = checkout.placing_location or checkout.pickup_store
    common = {
        "first_name": checkout.first_name,
        "last_name": checkout.last_name,
        "channel": checkout.channel,
        "location": checkout.placing_location,
        "actor": checkout.staff,
        "region": location.country if location is not None else None,
    }
    if checkout.user is not None:
        return lock_live_profile(
            storefront_customer(user=checkout.user, channel=checkout.channel)
        )
    if checkout.email or checkout.phone or checkout.loyalty_number:
        return match_customer(
            email=checkout.email or None,
            phone=checkout.phone or None,
            loyalty_number=checkout.loyalty_number or None,
            order_number=number,
            **common,
        )
    return None


def _scope(checkout: Checkout, customer: Customer | None) -> str:
    """Whose keys an ``Idempotency-Key`` is among: the signed-in customer's (or the
    one staff chose), the associate's, the guest's cart's (reached only with its
    token: another visitor's same key makes their own order), or every guest's
    without a cart; never the profile a guest's email or phone matched."""
    if customer is not None:
        return f"customer:{customer.pk}"
    if checkout.staff is not None:
        return f"staff:{checkout.staff.pk}"
    if checkout.cart is not None and checkout.cart.pk is not None:
        return f"cart:{checkout.cart.pk}"
    return "guest"


def _new_order(
    checkout: Checkout, lend: Customer | None, number: str, customer: Customer | None
) -> Order:
    """The order row, not stored yet; one fulfilment method, or ``mixed``. Contact
    details the buyer left out come from ``lend``: the signed-in customer, or the
    one staff chose. A guest's contact is what they typed (the profile their email
    or phone matched would give a stranger its other address in the answer)."""
    methods = {leg.method for leg in checkout.legs}
    carry_out = checkout.method == FulfilmentMethod.CARRY_OUT
    return Order(
        number=number,
        customer=customer,
        channel=checkout.channel,
        placing_location=checkout.placing_location,
        staff_member=checkout.staff,
        status=OrderStatus.COMPLETED if carry_out else OrderStatus.PLACED,
        fulfilment_method=methods.pop() if len(methods) == 1 else "mixed",
        currency=checkout.currency or settings.OMNISTORE_CURRENCY,
        subtotal=checkout.subtotal,
        discount_total=checkout.discount_total,
        delivery_fee=checkout.delivery_fee,
        total=checkout.total,
        net_total=sum((t.net for t in _taxed(checkout)), Decimal("0.00"))
        + cards_total(checkout.gift_cards),
        tax_total=sum((t.tax for t in _taxed(checkout)), Decimal("0.00")),
        tax_country=checkout.tax_country,
        legal_entity_id=checkout.legal_entity_id,
        email=checkout.email or (lend.email if lend else ""),
        phone=checkout.phone or (lend.phone if lend else ""),
        idempotency_scope=checkout.scope if checkout.idempotency_key else "",
        idempotency_key=checkout.idempotency_key,
        idempotency_fingerprint=checkout.fingerprint,
        discount_code=checkout.discount_code,
        created_at=checkout.now,
        updated_at=checkout.now,
    )


def _taxed(checkout: Checkout) -> list[TaxedAmount]:
    """The sale's taxed amounts: each line's, and the delivery's when it pays one."""
    taxed = list(checkout.taxed.values())
    if checkout.delivery_taxed is not None:
        taxed.append(checkout.delivery_taxed)
    return taxed


def _write_fulfilments(
    checkout: Checkout, order: Order
) -> tuple[list[Fulfilment], list[StockRequest]]:
    """One fulfilment per leg; a leg travelling to the pickup shop gets its transfer
    requested now. Returns the fulfilments and the stock to hold where it lies (none
    for a carry-out sale, which sells at once)."""
    now, number = checkout.now, order.number
    carry_out = checkout.method == FulfilmentMethod.CARRY_OUT
    variants = {variant.pk: variant for variant, _ in checkout.lines}
    fulfilments = []
    held: list[StockRequest] = []
    for leg in checkout.legs:
        transfer = None
        if leg.transfer:
            transfer = request_transfer(
                source=leg.location,
                destination=leg.pickup_location,
                lines=[(variants[v], q) for v, q in leg.quantities.items()],
                actor=_placed_by(checkout),
                note=f"For order {number}",
                reference_type=ORDER_REFERENCE,
                reference_id=number,
            )
        elif not carry_out:
            held += [
                StockRequest(v, leg.location.pk, q) for v, q in leg.quantities.items()
            ]
        lead = TRANSFER_LEAD_DAYS if leg.transfer else 0
        fulfilments.append(
            Fulfilment(
                order=order,
                method=leg.method,
                status=FulfilmentStatus.COMPLETED
                if carry_out
                else FulfilmentStatus.PENDING,
                location=leg.location,
                pickup_location=leg.pickup_location,
                address=checkout.address,
                ready_date=timezone.localdate(now) + timedelta(days=lead),
                transfer=transfer,
                created_at=now,
            )
        )
    insert_rows(fulfilments)
    return fulfilments, held


def _write_lines(
    checkout: Checkout,
    order: Order,
    fulfilments: list[Fulfilment],
    priced: dict[int, CounterPriced],
) -> list[OrderLine]:
    """The order lines, each priced to the cent with its share of the discount and
    its VAT as sold, and a price set at the counter with the shelf price, reason and
    approval it came with (``priced``). A variant sourced from several places has a
    line per leg, the discount and VAT shared between them by units (``take_share``)."""
    variants = {variant.pk: variant for variant, _ in checkout.lines}
    left = {
        variant.pk: (
            quantity,
            checkout.line_discounts.get(variant.pk, Decimal("0.00")),
            checkout.taxed.get(variant.pk),
        )
        for variant, quantity in checkout.lines
    }
    order_lines = []
    for leg, fulfilment in zip(checkout.legs, fulfilments, strict=True):
        for variant_id, quantity in leg.quantities.items():
            variant = variants[variant_id]
            price = checkout.unit_prices.get(variant_id)
            price = to_money(variant.price) if price is None else price
            discount, taxed = take_share(left, variant_id, quantity, price)
            counter = priced.get(variant_id)
            order_lines.append(
                OrderLine(
                    order=order,
                    fulfilment=fulfilment,
                    variant=variant,
                    sku=variant.sku,
                    name=variant.name[:250],
                    quantity=quantity,
                    unit_price=price,
                    discount=discount,
                    line_total=price * quantity - discount,
                    tax_class=taxed.tax_class if taxed else "",
                    tax_rate=taxed.rate if taxed else Decimal("0.00"),
                    net=taxed.net if taxed else price * quantity - discount,
                    tax=taxed.tax if taxed else Decimal("0.00"),
                    helped_by_id=checkout.helped_by.get(variant_id),
                    shelf_price=counter.shelf_price if counter else None,
                    price_reason=counter.reason if counter else "",
                    price_approval=counter.approval if counter else None,
                )
            )
    insert_rows(order_lines)
    return order_lines


def _write_tax_totals(checkout: Checkout, order: Order) -> list[OrderTaxTotal]:
    """The order's VAT per rate and class: sums of its lines (and its delivery), so
    they agree."""
    totals = [
        OrderTaxTotal(
            order=order,
            tax_class=total.tax_class,
            rate=total.rate,
            net=total.net,
            tax=total.tax,
            gross=total.gross,
        )
        for total in tax_totals(_taxed(checkout))
    ]
    if totals:
        insert_rows(totals)
    return totals


def _move_stock(checkout: Checkout, number: str, held: list[StockRequest]) -> None:
    """A carry-out sale leaves the shop now; any other order holds its stock."""
    if checkout.method == FulfilmentMethod.CARRY_OUT:
        sell_stock(
            requests=[
                StockRequest(v, checkout.placing_location.pk, q)
                for v, q in checkout.legs[0].quantities.items()
            ],
            reference_type=ORDER_REFERENCE,
            reference_id=number,
            actor=_placed_by(checkout),
        )
    elif held:
        reserve_stock(
            requests=held,
            reference_type=ORDER_REFERENCE,
            reference_id=number,
            actor=_placed_by(checkout),
            keep_safety=True,  # as sourcing counted what is free
        )


def _placed_by(checkout: Checkout):
    """Who places the order, on its "placed" history row, its timeline event, the
    ledger rows of the stock it holds and the transfers it asks for: the staff
    member taking it, else the signed-in customer (the login of the profile they
    check out as, as their cancelling records it); None for a guest."""
    if checkout.staff is not None:
        return checkout.staff
    user = checkout.user
    if user is None and checkout.customer is not None:
        user = checkout.customer.user
    return acting_user(user)


def cart_reference(cart: Cart | None) -> str:
    """How a payment intent names the cart it pays (none without a cart)."""
    return cart_tag(cart.pk) if cart is not None else ""


def _take_payments(
    checkout: Checkout, order: Order, customer: Customer | None
) -> list[Payment]:
    """Charge every tender once: the idempotency key of each names the checkout's key
    (or the order number) and its position, so a replayed checkout charges nothing
    twice. Store credit comes off the customer's balance in this transaction. A
    pickup or a parcel from a shop is only authorised (``captures_at_checkout``); a
    payment already collected (``captured``: a card at the terminal) is recorded as
    it is. Tenders drawing on one gift card, the store credit or the points are
    checked in total before any is spent (``check_shared_sources``)."""
    check_shared_sources(
        checkout, customer, currency=order.currency, caller=checkout.caller
    )
    payment_rows = []
    capture = captures_at_checkout(
        checkout.method, (leg.location for leg in checkout.legs)
    )
    for index, request in enumerate(checkout.payments):
        key = f"{_payment_key(checkout, order)}:{index}"
        if request.captured is not None:
            result = request.captured
        elif request.method in STORED_VALUE:
            with naming_tender(checkout.payments, index):
                result = _spend_stored_value(checkout, order, customer, request, index)
        else:
            provider = provider_for(request.method, channel=checkout.channel)
            refuse_given_back(provider, request.token)  # locked until the commit
            result = provider.charge(
                method=request.method,
                amount=request.amount,
                currency=order.currency,
                token=request.token,
                idempotency_key=key,
                capture=capture,
                cart_reference=paid_for(checkout),
            )
        checkout.charged.append((result.provider, result.reference))
        payment_rows.append(
            Payment(
                order=order,
                method=request.method,
                amount=request.amount,
                currency=order.currency,
                provider=result.provider,
                provider_reference=result.reference,
                status=result.status,
                created_at=checkout.now,
            )
        )
    insert_rows(payment_rows)
    return payment_rows


def _spend_stored_value(
    checkout: Checkout,
    order: Order,
    customer: Customer | None,
    request: PaymentRequest,
    index: int,
):
    """A gift card, store credit or points, taken in the order's transaction; the
    reference names the order and the tender's position (the order number is new,
    so a replayed checkout that reaches here spends in a new order only after the
    first rolled back)."""
    require_owner(checkout, request.method)
    reference = f"{order.number}:{index}"
    if request.method == PaymentMethod.GIFT_CARD:
        return spend_gift_card(
            number=request.card_number,
            pin=request.pin,
            amount=request.amount,
            order=order,
            reference=reference,
            caller=checkout.caller,
            location=checkout.placing_location,
            actor=checkout.staff,
            now=checkout.now,
        )
    spend = spend_store_credit
    if request.method == PaymentMethod.LOYALTY_POINTS:
        spend = spend_points
    return spend(
        customer=customer,
        order=order,
        amount=request.amount,
        reference=reference,
        actor=checkout.staff,
    )


def _payment_key(checkout: Checkout, order: Order) -> str:
    """The provider's idempotency key: the client's key, else the cart and what it
    buys. The charge happens inside the checkout transaction, so a checkout that
    fails after it (a lost worker, a timeout) rolls the order back but not the
    charge: the client's retry of the same cart sends the same key and the provider
    answers with the first charge instead of taking the money twice. A changed cart
    is a new purchase (new key); without a cart or key, the order number."""
    if checkout.idempotency_key:
        return f"{checkout.scope}:{checkout.idempotency_key}"
    if checkout.cart is None:
        return order.number
    content = repr(
        (
            sorted((variant.pk, quantity) for variant, quantity in checkout.lines),
            str(checkout.total),
            [(p.method, str(p.amount), p.token) for p in checkout.payments],
        )
    )
    digest = hashlib.sha256(content.encode()).hexdigest()[:24]
    return f"cart:{checkout.cart.pk}:{digest}"
