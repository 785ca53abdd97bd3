"""Card-present payments at the counter: a sale paid by card waits for the shop's
terminal and is placed only when the terminal says the card paid.

Rules kept here:
- the sale is checked (``prepare_checkout``) before the reader is asked, so a card is
  never taken for a sale that would be refused; nothing is reserved while waiting;
- an intent takes one result: every move is one conditional ``UPDATE`` on its status
  with its ``TerminalIntentEvent`` in the same transaction, so a result delivered twice
  (a webhook and a poll, or the same webhook again) moves it once;
- a paid intent places its sale through ``place_order`` keyed by the basket
  (``sale:<token>``), which converts the basket once: two deliveries in parallel make
  one order, recorded against the intent's reference;
- a sale refused after the card paid (stock gone meanwhile, or its till closed
  meanwhile, whatever its tenders) gives the money back through the terminal
  provider and says why; a placed sale is on the counter's till from its own
  transaction;
- a payment is sent to the reader only while the counter's till is open, under the
  lock its close takes, and the close waits while it is out
  (``orders.services.till_card_waits``).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.selectors import availability_here_and_elsewhere
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.exceptions import (
    ApplicationError,
    Conflict,
    InsufficientStock,
    ValidationFailed,
)
from orders.models import (
    TERMINAL_RESULTS,
    Cart,
    CartLine,
    FulfilmentMethod,
    Order,
    PaymentStatus,
    TerminalDevice,
    TerminalIntent,
    TerminalIntentEvent,
    TerminalIntentStatus,
)
from orders.payments.base import ChargeResult
from orders.payments.registry import CARD_PRESENT_METHODS
from orders.selectors.terminals import waiting_intent
from orders.terminals import (
    PENDING,
    TerminalProvider,
    TerminalRequest,
    get_terminal_provider,
)

from .carts import lock_counter_basket
from .checkout import place_order, prepare_checkout
from .delivery_waiver import FeeWaiver
from .payments import PaymentRequest
from .staff_sale import StaffSale
from .till import TillBooking, lock_open_session

# Who reported a move.
SOURCE_COUNTER = "counter"
SOURCE_POLL = "poll"
SOURCE_WEBHOOK = "webhook"
SOURCE_SIMULATOR = "simulator"


@dataclass(frozen=True)
class CounterSale:
    """The checkout the associate chose, kept on the intent as JSON so whoever
    delivers the result places the same sale: lines as (variant id, units), tenders
    as (method, amount), the buyer's identity as ``place_order`` takes it."""

    lines: list[tuple[int, int]]
    fulfilment: str
    tenders: list[tuple[str, Decimal]]
    pickup_store_id: int | None = None
    address: dict | None = None
    discount_code: str = ""
    customer: dict = field(default_factory=dict)
    # The counter's open till and the cash tendered: the placed sale is booked there.
    till_session_id: int | None = None
    tendered: Decimal | None = None
    # Counter prices by variant id, set (and approved) on the sale's lines.
    prices: dict = field(default_factory=dict)
    # Whom each line credits (variant id -> the associate who helped).
    helped_by: dict = field(default_factory=dict)
    # A phone order keyed on the shop's terminal is placed as a phone order.
    channel: str = Channel.STORE
    # The delivery fee the shop waived, placed with the sale as the screen showed it.
    delivery_waiver: FeeWaiver | None = None

    def as_json(self) -> dict:
        data = asdict(self)
        data["tenders"] = [[method, str(amount)] for method, amount in self.tenders]
        data["lines"] = [list(line) for line in self.lines]
        data["tendered"] = None if self.tendered is None else str(self.tendered)
        data["prices"] = {str(v): str(p) for v, p in self.prices.items()}
        data["helped_by"] = {str(v): int(u) for v, u in self.helped_by.items()}
        waiver = self.delivery_waiver
        data["delivery_waiver"] = waiver.as_json() if waiver is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> CounterSale:
        return cls(
            lines=[(int(v), int(q)) for v, q in data["lines"]],
            fulfilment=data["fulfilment"],
            tenders=[(m, Decimal(a)) for m, a in data["tenders"]],
            pickup_store_id=data.get("pickup_store_id"),
            address=data.get("address"),
            discount_code=data.get("discount_code", ""),
            customer=data.get("customer") or {},
            till_session_id=data.get("till_session_id"),
            tendered=Decimal(data["tendered"]) if data.get("tendered") else None,
            prices={int(v): Decimal(p) for v, p in (data.get("prices") or {}).items()},
            helped_by={
                int(v): int(u) for v, u in (data.get("helped_by") or {}).items()
            },
            channel=data.get("channel", Channel.STORE),
            delivery_waiver=FeeWaiver.from_json(data.get("delivery_waiver")),
        )

    def checkout(self, payments: list[PaymentRequest]) -> dict:
        """``place_order``'s arguments for this sale, but the shop, staff and key."""
        return {
            "lines": self.lines,
            "channel": self.channel,
            "fulfilment": self.fulfilment,
            "pickup_store": self.pickup_store_id,
            "address": self.address,
            "payments": payments,
            "discount_code": self.discount_code,
            "staff_sale": StaffSale(
                prices=self.prices or None, delivery_waiver=self.delivery_waiver
            ),
            **self.customer,
        }


def sale_key(cart: Cart) -> str:
    """The key a counter sale is placed under, whichever way it is paid: one basket,
    one order."""
    return f"sale:{cart.token}"


def _card_amount(payments: list[PaymentRequest]) -> Decimal:
    cards = [p for p in payments if p.method in CARD_PRESENT_METHODS]
    if len(cards) != 1:
        raise ValidationFailed(
            "The terminal takes one card per sale.",
            extra={"payment": ["Pay with one card; split the rest in other tenders."]},
        )
    return cards[0].amount


def _record(intent, from_status, to_status, *, source, actor, now, note=""):
    TerminalIntentEvent.objects.create(
        intent=intent,
        from_status=from_status,
        to_status=to_status,
        source=source,
        actor=acting_user(actor),
        note=note[:250],
        at=now,
    )


def _move(
    intent: TerminalIntent,
    from_status: str,
    to_status: str,
    *,
    source: str,
    actor=None,
    now: datetime,
    note: str = "",
    **fields,
) -> bool:
    """One guarded move: the status changes only from ``from_status`` (a parallel
    delivery of the same result matches no row and records nothing)."""
    with transaction.atomic():
        moved = TerminalIntent.objects.filter(pk=intent.pk, status=from_status).update(
            status=to_status, updated_at=now, **fields
        )
        if moved:
            _record(
                intent,
                from_status,
                to_status,
                source=source,
                actor=actor,
                now=now,
                note=note,
            )
    intent.refresh_from_db()
    return bool(moved)


def _check_shelf(lines, fulfilment: str, location) -> None:
    """A take-now sale needs its units on this shop's shelf: checked before the card
    is asked for (the sale itself holds them only once paid)."""
    if fulfilment != FulfilmentMethod.CARRY_OUT:
        return
    here = availability_here_and_elsewhere(
        variant_ids=[variant.pk for variant, _ in lines], location=location
    )
    short = [
        {
            "variant_id": variant.pk,
            "sku": variant.sku,
            "location_id": location.pk,
            "requested": quantity,
            "available": max(here[variant.pk][0], 0),
        }
        for variant, quantity in lines
        if here[variant.pk][0] < quantity
    ]
    if short:
        raise InsufficientStock(short)


def _free_device(device: TerminalDevice, *, now: datetime) -> None:
    """A reader collects one payment at a time: an intent past its time is timed out,
    one still waiting refuses the new sale."""
    busy = TerminalIntent.objects.filter(
        device=device, status=TerminalIntentStatus.PENDING
    ).first()
    if busy is None:
        return
    if busy.expires_at > now:
        raise Conflict(
            f"{device.label} is waiting for another payment ({busy.amount} "
            f"{busy.currency}); cancel it there or wait.",
            code="terminal_busy",
        )
    refresh_terminal_intent(intent=busy, now=now)


def start_terminal_payment(
    *,
    device: TerminalDevice,
    cart: Cart,
    sale: CounterSale,
    staff=None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> TerminalIntent:
    """Check the sale, then ask the shop's terminal for the card's share of it. A
    basket already waiting gets its intent back (a double submit asks once)."""
    now = now or timezone.now()
    waiting = waiting_intent(cart=cart)
    if waiting is not None:
        return waiting
    _free_device(device, now=now)  # may ask the provider: before the lock
    with transaction.atomic():
        # The basket's lines are read and the intent written under the basket's
        # lock, which a line change takes too: a scan meanwhile waits and is then
        # refused, instead of being left out of the sale the reader takes.
        lock_counter_basket(cart)
        intent = _intent_for_basket(device, cart, sale, staff, idempotency_key, now)
    if not intent.provider_reference:
        _send_to_reader(intent, get_terminal_provider(device.provider))
    return intent


def _intent_for_basket(device, cart, sale, staff, idempotency_key, now):
    waiting = waiting_intent(cart=cart)
    if waiting is not None:
        return waiting
    if sale.till_session_id is not None:  # open now: its close waits for the card
        lock_open_session(sale.till_session_id)
    _check_basket_unchanged(cart, sale)
    checked = prepare_checkout(
        **sale.checkout([PaymentRequest(m, amount=a) for m, a in sale.tenders]),
        placing_location=device.location,
        staff=staff,
        idempotency_key=sale_key(cart),
        cart=cart,
        now=now,
    )
    amount = _card_amount(checked.payments)
    _check_shelf(checked.lines, sale.fulfilment, device.location)
    return _create_intent(
        device=device,
        cart=cart,
        sale=sale,
        amount=amount,
        currency=checked.currency,
        staff=staff,
        idempotency_key=idempotency_key or secrets.token_urlsafe(16),
        now=now,
    )


def _check_basket_unchanged(cart: Cart, sale: CounterSale) -> None:
    """The sale sent to the reader is the basket as it is now: a line or a counter
    price changed since the counter read it (a colleague's scan) is refused with the
    reason, not left out of what the card pays for."""
    rows = CartLine.objects.filter(cart=cart).values_list(
        "variant_id", "quantity", "counter_price"
    )
    now_lines = sorted((variant, units) for variant, units, _ in rows)
    now_prices = {variant: price for variant, _, price in rows if price}
    sent_prices = {int(v): Decimal(str(p)) for v, p in sale.prices.items()}
    if sorted(sale.lines) != now_lines or sent_prices != now_prices:
        raise Conflict(
            "The basket changed while the payment was being prepared: check it and "
            "take the payment again.",
            code="basket_changed",
        )


def _create_intent(
    *, device, cart, sale, amount, currency, staff, idempotency_key, now
):
    """The reader is asked for the card's share in the sale's own currency (francs
    at a Swiss shop), the one the order and its payment are recorded in."""
    timeout = getattr(settings, "OMNISTORE_TERMINAL_TIMEOUT_SECONDS", 120)
    try:
        with transaction.atomic():
            intent = TerminalIntent.objects.create(
                reference=f"TI-{secrets.token_hex(8).upper()}",
                idempotency_key=idempotency_key,
                device=device,
                location=device.location,
                cart=cart,
                amount=amount,
                currency=currency,
                provider=device.provider,
                sale=sale.as_json(),
                created_by=acting_user(staff),
                created_at=now,
                updated_at=now,
                expires_at=now + timedelta(seconds=timeout),
            )
            _record(
                intent,
                "",
                intent.status,
                source=SOURCE_COUNTER,
                actor=staff,
                now=now,
                note=f"{amount} {intent.currency} sent to {device.label}",
            )
    except IntegrityError:
        # The same key again, or a parallel submit of this basket, or another
        # basket that took the reader meanwhile.
        found = TerminalIntent.objects.filter(idempotency_key=idempotency_key).first()
        found = found or waiting_intent(cart=cart)
        if found is None:
            raise Conflict(
                f"{device.label} is waiting for another payment.",
                code="terminal_busy",
            ) from None
        return found
    return intent


def _send_to_reader(intent: TerminalIntent, provider: TerminalProvider) -> None:
    reference = provider.start(
        TerminalRequest(
            device_id=intent.device.device_id,
            amount=intent.amount,
            currency=intent.currency,
            cart_reference=intent.cart.token,
            idempotency_key=intent.idempotency_key,
        )
    )
    TerminalIntent.objects.filter(pk=intent.pk).update(provider_reference=reference)
    intent.provider_reference = reference


def settle_terminal_intent(
    *,
    intent: TerminalIntent,
    status: str,
    message: str = "",
    source: str,
    actor=None,
    now: datetime | None = None,
) -> TerminalIntent:
    """Record the terminal's result for a waiting intent (once: a repeated or late
    result changes nothing) and, when the card paid, place the sale."""
    if status not in TERMINAL_RESULTS:
        raise ValidationFailed(
            "Not a terminal result.",
            extra={
                "status": [f"Must be one of: {', '.join(sorted(TERMINAL_RESULTS))}."]
            },
        )
    now = now or timezone.now()
    _move(
        intent,
        TerminalIntentStatus.PENDING,
        status,
        source=source,
        actor=actor,
        now=now,
        note=message,
        message=message[:250],
    )
    if intent.status == TerminalIntentStatus.SUCCEEDED:
        _complete_sale(intent, source=source, actor=actor, now=now)
    return intent


def refresh_terminal_intent(
    *, intent: TerminalIntent, actor=None, now: datetime | None = None
) -> TerminalIntent:
    """What the counter's poll asks: the provider's outcome for a waiting intent, a
    time-out past its time, and the sale of a paid intent not placed yet."""
    now = now or timezone.now()
    if intent.status == TerminalIntentStatus.PENDING:
        provider = get_terminal_provider(intent.provider)
        outcome = provider.outcome(intent.provider_reference)
        if outcome.status == PENDING and intent.expires_at <= now:
            provider.cancel(intent.provider_reference)
            outcome = provider.outcome(intent.provider_reference)
            if outcome.status in (PENDING, TerminalIntentStatus.CANCELLED):
                outcome = outcome.__class__(
                    TerminalIntentStatus.TIMED_OUT, "No card was presented in time."
                )
        if outcome.status != PENDING:
            return settle_terminal_intent(
                intent=intent,
                status=outcome.status,
                message=outcome.message,
                source=SOURCE_POLL,
                actor=actor,
                now=now,
            )
    if intent.status == TerminalIntentStatus.SUCCEEDED:
        _complete_sale(intent, source=SOURCE_POLL, actor=actor, now=now)
    return intent


def cancel_terminal_intent(
    *, intent: TerminalIntent, actor=None, now: datetime | None = None
) -> TerminalIntent:
    """The associate stops waiting: the reader is told to stop, and the intent takes
    whatever the reader answers then (a card presented just before still pays)."""
    if intent.status != TerminalIntentStatus.PENDING:
        return intent
    provider = get_terminal_provider(intent.provider)
    provider.cancel(intent.provider_reference)
    outcome = provider.outcome(intent.provider_reference)
    status = (
        TerminalIntentStatus.CANCELLED if outcome.status == PENDING else outcome.status
    )
    return settle_terminal_intent(
        intent=intent,
        status=status,
        message=outcome.message or "Cancelled at the counter.",
        source=SOURCE_COUNTER,
        actor=actor,
        now=now,
    )


def _converted_order(intent: TerminalIntent) -> Order | None:
    """The order the basket became, if it was placed already (by a parallel
    delivery of the same result)."""
    cart = Cart.objects.select_related("order").get(pk=intent.cart_id)
    return cart.order


def _complete_sale(intent: TerminalIntent, *, source, actor, now) -> None:
    """Place the paid sale with the card recorded against the intent, once. Its time
    is never before the payment's result it follows: a parallel delivery of that
    result may have read the clock before the one that recorded it."""
    now = max(now, intent.updated_at)
    sale = CounterSale.from_json(intent.sale)
    provider = get_terminal_provider(intent.provider)
    order = _converted_order(intent)
    if order is None:
        try:
            order = place_order(
                **sale.checkout(_payments(sale, intent, provider)),
                helped_by=sale.helped_by or None,
                placing_location=intent.location,
                staff=intent.created_by,
                idempotency_key=sale_key(intent.cart),
                cart=intent.cart,
                till=None
                if sale.till_session_id is None
                else TillBooking(sale.till_session_id, sale.tendered),
                now=now,
            )
        except ApplicationError as error:
            order = _converted_order(intent)
            if order is None:
                _reverse(intent, provider, error, source=source, actor=actor, now=now)
                return
    _move(
        intent,
        TerminalIntentStatus.SUCCEEDED,
        TerminalIntentStatus.COMPLETED,
        source=source,
        actor=actor,
        now=now,
        note=f"Order {order.number}",
        order=order,
    )


def _payments(
    sale: CounterSale, intent: TerminalIntent, provider: TerminalProvider
) -> list[PaymentRequest]:
    """The sale's tenders, the card one as the terminal collected it."""
    captured = ChargeResult(
        provider=provider.payment_provider,
        reference=intent.provider_reference or intent.reference,
        status=PaymentStatus.CAPTURED,
        amount=intent.amount,
    )
    payments, card_done = [], False
    for method, amount in sale.tenders:
        card = method in CARD_PRESENT_METHODS and not card_done
        card_done = card_done or card
        payments.append(
            PaymentRequest(method, amount=amount, captured=captured if card else None)
        )
    return payments


def _reverse(intent, provider, error: ApplicationError, *, source, actor, now) -> None:
    """The card paid but the sale was refused: the money goes back, and why is kept."""
    provider.reverse(
        intent.provider_reference,
        amount=intent.amount,
        idempotency_key=f"{intent.reference}:reverse",
    )
    _move(
        intent,
        TerminalIntentStatus.SUCCEEDED,
        TerminalIntentStatus.REVERSED,
        source=source,
        actor=actor,
        now=now,
        note=error.message,
        message=f"The sale was refused after the card paid: {error.message}"[:250],
    )
