"""What a device's counter sale keeps between requests, in its session: the basket's
cart, the customer, how the goods leave, the code, the gift cards sold and a waived
delivery fee. Requests of one device that overlap keep each one's own change (the
session store merges them key by key), and the ones starting a sale at once share
its cart."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.urls import reverse
from django.utils.crypto import salted_hmac

from omnistore.core.exceptions import Conflict
from omnistore.staff.auth import shop_only
from omnistore.staff.htmx import redirect_to
from orders.models import Cart
from orders.selectors.carts import cart_has_lines, find_cart
from orders.services.carts import check_no_card_waiting, open_counter_cart
from orders.services.delivery_waiver import FeeWaiver, withdraw_fee_waiver
from orders.services.giftcard_sales import GiftCardSale
from orders.staff.views.sale_approvals import DISCOUNT_OFF_KEY

CART_KEY = "sale_cart_token"
CUSTOMER_KEY = "sale_customer"
# Marks the sale's customer attached by their loyalty card (``card_shown``).
CARD_SHOWN = "card_shown"
MODE_KEY = "sale_mode"
# "Customer on the phone": the sale is a phone order (``sale_channel``).
PHONE_KEY = "sale_phone"
DISCOUNT_KEY = "sale_discount_code"
# The card payment the counter waits for, while the card is out.
TERMINAL_KEY = "sale_terminal_intent"
# Gift cards sold with the sale (number, amount, PIN hashed), activated at checkout.
GIFT_CARDS_KEY = "sale_gift_cards"
# The delivery fee waived on the sale (``FeeWaiver.as_json``), until it is paid.
WAIVER_KEY = "sale_delivery_waiver"
# Every screen and step of the sale at the counter: only at a shop.
AT_THE_COUNTER = shop_only("The sale at the counter")
SALE_NUMBER_KEY = "sale_number"  # sales ended on this device: the next cart's token


def sale_cart(request, *, create: bool = False) -> Cart | None:
    """This device's sale basket (for every counter screen), created on first use."""
    token = request.session.get(CART_KEY, "")
    cart = find_cart(token=token) if token else None
    if cart is None and create:
        cart = open_counter_cart(token=_new_sale_token(request))
        request.session[CART_KEY] = cart.token
    return cart


def card_shown(request) -> bool:
    """Whether the sale may spend its customer's points and store credit: only
    once the associate attached them by their loyalty card, scanned or typed from
    the card or the card in their app (read out on the phone), the proof the
    retailer takes that the card's holder is buying, as a gift card's PIN is for
    the card. An email or a phone, which anyone may know, is no proof; nor is a
    customer brought along from their wishlist or online cart. Parked and resumed
    with the customer, the proof goes with them."""
    customer = request.session.get(CUSTOMER_KEY) or {}
    return bool(customer.get(CARD_SHOWN) and customer.get("customer_id"))


def sale_holds_items(session) -> bool:
    """Whether a sale kept in ``session`` (this device's, or a parked one's keys)
    has anything to sell: a line in its basket or a gift card."""
    if session.get(GIFT_CARDS_KEY):
        return True
    token = session.get(CART_KEY, "")
    return bool(token) and cart_has_lines(find_cart(token=token))


def _new_sale_token(request) -> str:
    """The token of this device's next sale: the same for every request that starts
    it at once (they read the same session), a new one after each sale ends."""
    number = request.session.get(SALE_NUMBER_KEY, 0)
    seed = f"{request.session.session_key}:{request.user.pk}:{number}"
    return "sale-" + salted_hmac("omnistore.counter-sale", seed).hexdigest()[:48]


def end_sale(request) -> None:
    for key in (
        CART_KEY,
        CUSTOMER_KEY,
        MODE_KEY,
        PHONE_KEY,
        DISCOUNT_KEY,
        DISCOUNT_OFF_KEY,
        TERMINAL_KEY,
        GIFT_CARDS_KEY,
        WAIVER_KEY,
    ):
        request.session.pop(key, None)
    request.session[SALE_NUMBER_KEY] = request.session.get(SALE_NUMBER_KEY, 0) + 1


def drop_waiver(request) -> bool:
    """The sale's waived delivery fee goes (charged again), and the manager's yes
    it went with is withdrawn (``withdraw_fee_waiver``): undone, the sale cleared,
    or what the manager read changed (the sale's customer, its lines). Waived
    again, it is asked again. Whether the sale had one."""
    kept = request.session.pop(WAIVER_KEY, None)
    if kept:
        withdraw_fee_waiver(FeeWaiver.from_json(kept), actor=request.user)
    return bool(kept)


def keep_waiver(request, waiver: FeeWaiver) -> None:
    """The sale holds ``waiver`` from now on; a yes the one it replaces went with
    (a fee since outgrown) is withdrawn."""
    replaced = FeeWaiver.from_json(request.session.get(WAIVER_KEY))
    if replaced is not None and replaced.approval_id != waiver.approval_id:
        withdraw_fee_waiver(replaced, actor=request.user)
    request.session[WAIVER_KEY] = waiver.as_json()


def sale_gift_cards(request) -> list[GiftCardSale]:
    """The gift cards the sale activates, as added to it."""
    return [GiftCardSale.from_dict(d) for d in request.session.get(GIFT_CARDS_KEY, [])]


def not_while_card_waits(view):
    """A change to the sale (its basket, customer, code, gift cards, or the sale
    itself parked or dropped) waits until the card reader is done with the basket:
    the reader's sale keeps what it was started with, so a change meanwhile would be
    lost without a word. Like every screen of the sale, only at a shop."""

    return AT_THE_COUNTER(card_not_waiting(view))


def card_not_waiting(view):
    """``not_while_card_waits`` without the shop: for dropping a sale, which a
    device left at a warehouse may do too."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            check_no_card_waiting(sale_cart(request))
        except Conflict as error:
            messages.error(request, error.message)
            return redirect_to(request, reverse("staff:sale"))
        return view(request, *args, **kwargs)

    return guarded
