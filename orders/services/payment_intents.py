"""The storefront's payment, started before checkout: a PaymentIntent for the cart,
for a buy now's lines, or for an e-gift card.

The amount and currency come from the checkout's own pricing (``prepare_checkout``:
the cart's lines, the discount code, where the order goes), never from the browser.
The intent is for the card's share only: the gift cards, store credit and points
the checkout will be sent with (``tenders``) pay first, and the card what they leave,
as ``check_payments`` splits it at checkout; tenders that pay it all need no intent.
They are checked first as checkout will spend them (the PIN, the balances, the points
spendable now), and nothing is taken: a card charged for what a refused tender leaves
would pay for no order.
A pickup, or a parcel a shop sends, is only authorised (``capture_method`` manual)
and captured at handover or shipment, as checkout does (``captures_at_checkout``).
The intent names its cart: checkout takes it for that cart only, and only when the
provider confirms its amount, currency and status.

The provider's idempotency key names the cart, the amount and the capture method
(and the client's ``Idempotency-Key`` when sent): asking again for an unchanged
cart answers the same intent, a changed cart gets a new one. An intent given back
(``payment_release``) is never answered again: the key then names it too, and the
cart gets a new intent.

A purchase without a cart (buy now, priced by the same ``prepare_checkout`` from the
lines in the body; an e-gift card, at its amount in its market's currency) gets an
intent tagged with the digest of a fresh secret ``reference`` (``purchase_tag``),
answered once: the purchase sends it back with the intent's id
(``storefront_payment``) and its checkout takes only an intent tagged with it, so
an intent id someone learned pays nothing of theirs. The intent also names what the
purchase is (``intent_scope``: an e-gift card, or a buy now of what was priced),
and pays nothing else. Each such call starts a new intent (nothing is taken until
the customer confirms one).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from customers.models import Customer
from omnistore.core.exceptions import ValidationFailed
from orders.models import Cart, PaymentMethod
from orders.payments.base import IntentResult, purchase_tag, tagged_cart
from orders.payments.registry import get_provider, provider_for

from .checkout import CheckoutRequest, LineRequest, prepare_checkout
from .egift import e_gift_market
from .giftcard_sales import sale_amount
from .intent_scope import E_GIFT_SCOPE, buy_now_scope
from .payment_release import was_given_back
from .payments import PaymentRequest, captures_at_checkout
from .placing import Checkout, cart_reference
from .storefront import cart_to_check_out, refuse_empty_cart
from .tenders import check_stored_value_tenders

# Intents of one cart given back, one after another, that a new intent's key steps
# over (``_cart_intent``).
MAX_GIVEN_BACK_STEPS = 10


def start_cart_payment(
    *,
    customer: Customer | None,
    token: str,
    checkout: CheckoutRequest,
    tenders: Sequence[PaymentRequest] = (),
    caller: str = "",
) -> IntentResult:
    """A payment intent for the cart of the signed-in ``customer`` (or of ``token``)
    as it would check out now with ``tenders``: for what they leave to pay. Refused
    for an empty or converted cart, for an order that costs nothing, for tenders
    checkout would refuse (``caller``: who asks, counted for wrong gift card PINs as
    at checkout) and when the tenders pay it all."""
    cart, lines = cart_to_check_out(
        customer=customer, token=token, channel=checkout.channel
    )
    if not lines:
        refuse_empty_cart(cart)
    # The client's key is checked as a checkout checks it (at most 100 characters)
    # and goes into the intent's own key below.
    return _start(
        [LineRequest(line.variant, line.quantity) for line in lines],
        customer=customer,
        checkout=checkout,
        tenders=tenders,
        caller=caller,
        cart=cart,
    )


def start_buy_now_payment(
    *,
    customer: Customer | None,
    lines: Sequence[LineRequest],
    checkout: CheckoutRequest,
    tenders: Sequence[PaymentRequest] = (),
    caller: str = "",
) -> IntentResult:
    """A payment intent for buying ``lines`` at once (``POST /checkout/buy-now/``),
    priced as that checkout prices them, for what ``tenders`` leave; with the
    secret ``reference`` buy now sends back. Refused as ``start_cart_payment``."""
    return _start(
        lines, customer=customer, checkout=checkout, tenders=tenders, caller=caller
    )


def start_e_gift_payment(*, amount: Decimal, country: str) -> IntentResult:
    """A payment intent for an e-gift card of ``amount`` sold in ``country``'s
    market (its currency), paid at once, with the secret ``reference`` the purchase
    sends back; refused (400) as the purchase refuses the amount or the country."""
    amount = sale_amount(amount)
    currency = e_gift_market(country).currency
    return _create(amount=amount, currency=currency, capture=True, scope=E_GIFT_SCOPE)


def _start(
    lines: Sequence[LineRequest],
    *,
    customer: Customer | None,
    checkout: CheckoutRequest,
    tenders: Sequence[PaymentRequest],
    caller: str,
    cart: Cart | None = None,
) -> IntentResult:
    """Price ``lines`` as checkout will, and start the card's share: for ``cart``
    keyed by it, else for a purchase with a reference of its own."""
    priced = prepare_checkout(
        lines=lines,
        customer=customer,
        payments=[*tenders, PaymentRequest(method=PaymentMethod.CARD_ONLINE)],
        cart=cart,
        now=timezone.now(),
        **checkout.arguments(),
    )
    currency = priced.currency or settings.OMNISTORE_CURRENCY  # the sale's market
    amount = _card_share(priced, currency=currency, caller=caller)
    capture = captures_at_checkout(
        checkout.fulfilment, (leg.location for leg in priced.legs)
    )
    if cart is None:
        scope = buy_now_scope(priced)
        return _create(amount=amount, currency=currency, capture=capture, scope=scope)
    return _cart_intent(
        cart,
        amount=amount,
        currency=currency,
        capture=capture,
        client_key=priced.idempotency_key,
    )


def _cart_intent(
    cart: Cart, *, amount: Decimal, currency: str, capture: bool, client_key: str
) -> IntentResult:
    """The intent for ``cart`` as it is priced now, keyed by the cart, the amount,
    the capture method and the client's key. The provider answers a repeated key
    with the intent it made first, also once that intent was given back (Stripe
    for a day): then the key names the intent given back too, and the intent made
    after it is answered; the same each time, so asking again still answers the
    same intent. Past ``MAX_GIVEN_BACK_STEPS`` such intents, a new one each time."""
    provider = get_provider()
    reference = cart_reference(cart)
    mode = "automatic" if capture else "manual"
    parts = (reference, f"{amount}{currency}", mode, client_key)
    first = ":".join(part for part in parts if part)

    def create(key: str) -> IntentResult:
        return provider.create_intent(
            amount=amount,
            currency=currency,
            capture=capture,
            idempotency_key=key,
            cart_reference=reference,
        )

    key = first
    for _ in range(MAX_GIVEN_BACK_STEPS):
        intent = create(key)
        if not was_given_back(provider.name, intent.id):
            return intent
        key = f"{first}:after:{intent.id}"
    return create(f"{first}:{secrets.token_urlsafe(12)}")


def _create(
    *, amount: Decimal, currency: str, capture: bool, scope: str
) -> IntentResult:
    """An intent for a purchase without a cart, tagged with a fresh reference's
    digest and made for what the purchase is (``scope``); the reference goes back
    with it, once."""
    reference = secrets.token_urlsafe(24)
    tag = purchase_tag(reference)
    intent = get_provider().create_purchase_intent(
        amount=amount,
        currency=currency,
        capture=capture,
        idempotency_key=f"{tag}:{amount}{currency}",
        tag=tag,
        scope=scope,
    )
    return replace(intent, reference=reference)


def storefront_payment(
    *, method: str, token: str, reference: str | None, channel: str | None
) -> PaymentRequest:
    """The card payment of a storefront purchase: ``token`` alone for a cart's
    checkout (``reference`` None), else with the ``reference`` of its intent as the
    provider that takes it carries one (``purchase_token``)."""
    if reference is not None:
        provider = provider_for(method, channel=channel)
        token = provider.purchase_token(token, reference)
    return PaymentRequest(method=method, token=token)


def requester_cart(*, customer: Customer | None, token: str) -> Callable[[str], bool]:
    """Whether an intent's tag names a cart of whoever asks: the signed-in
    ``customer``'s, or the one of the cart ``token`` they hold."""

    def belongs(tag: str) -> bool:
        pk = tagged_cart(tag)
        cart = Cart.objects.filter(pk=pk).first() if pk is not None else None
        if cart is None:
            return False
        if customer is not None and cart.customer_id == customer.pk:
            return True
        return bool(token) and cart.token == token

    return belongs


def purchase_of(reference: str) -> Callable[[str], bool]:
    """Whether an intent's tag is the one made for the purchase's ``reference``."""
    return lambda tag: bool(reference) and tag == purchase_tag(reference)


def _card_share(priced: Checkout, *, currency: str, caller: str) -> Decimal:
    """What the card pays of the priced checkout: the rest its tenders leave. No card
    is held for tenders checkout would refuse (a guest's store credit and points, a
    wrong gift card PIN, a short balance, points not spendable yet): the card would
    be charged and the order refused. Nothing to pay, or tenders paying it all, need
    no intent."""
    if priced.total <= 0:
        raise ValidationFailed(
            "The order costs nothing: check out without a payment.",
            code="nothing_to_pay",
        )
    check_stored_value_tenders(
        priced, priced.customer, currency=currency, caller=caller
    )
    card = [p for p in priced.payments if p.method == PaymentMethod.CARD_ONLINE]
    if not card:
        raise ValidationFailed(
            "The gift cards, store credit and points pay the whole order: check "
            "out without a card payment.",
            code="nothing_to_pay",
            extra={"tenders": ["They pay the whole order; no card is needed."]},
        )
    return card[0].amount
