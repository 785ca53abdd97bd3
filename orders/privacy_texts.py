"""The texts the orders app's services write into notes and reasons people also type
into (order history, refunds, payments, the till, returns, store credit, managers'
approvals), as ``Composed`` templates: an erasure (``orders.privacy``) keeps what the
code wrote there and blanks what a person typed."""

from __future__ import annotations

import re

from customers.privacy import FORFEIT_REASON, Composed
from omnistore.core.channels import Channel
from orders.models import RefundMethod
from orders.selectors.orders import APPROVED_BY
from orders.services.counter_prices import PRICE_SET
from orders.services.credit import EXPIRY_REASON
from orders.services.payment_webhooks import LAPSED_REASON
from orders.services.placing import CARD_SHOWN_NOTE

# What the services write into the notes and reasons of orders, returns, payments and
# the till (``Composed``): kept on erasure, but for the reasons people typed into them.
# A staff member's name as notes print it ("Marco Rossi", "Marco R."): words of
# letters, never digits, commas or an address.
_NAME = r"[^\W\d_]+(?:[ '.-][^\W\d_]+){0,4}\.?"
# A place's name as the code writes it ("Milano Duomo", "Zürich Bahnhofstrasse").
_PLACE = r"[^\W\d_]+(?:[ '.-]+[^\W\d_]+){0,5}"
_APPROVED = rf"{re.escape(APPROVED_BY)}{_NAME}"
_CODE = r"[A-Z0-9]+(?:-[A-Z0-9]+)*"
_SLOTS = {
    "code": _CODE,
    "amount": r"-?\d+(?:\.\d+)?",
    "currency": r"[A-Z]{3}",
    "channel": "|".join(re.escape(label) for label in Channel.labels),
    "method": "|".join(re.escape(label) for label in RefundMethod.labels),
    "by": _APPROVED,
    "approved": f"(?:{_APPROVED})?",
    "receipt": f"(?: · without a receipt(?:{_APPROVED})?)?",
    "reference": r"[A-Z0-9][A-Z0-9-]{3,39}",
    "part": rf"Part from {_PLACE} (?:picked|shipped) "
    r"\(\d+ of \d+ parts (?:picked|shipped)\)",
    "gift_card": r"; as store credit: the gift card •••• \w{4} "
    r"(?:is void|expired on \d{4}-\d{2}-\d{2})",
    "card": f"(?:{re.escape(CARD_SHOWN_NOTE)})?",
    # What a refund gave money back for (``orders.services.money_back``).
    "refunded_for": rf"(?:[Rr]eturn {_CODE} of order {_CODE}|[Oo]rder {_CODE} "
    rf"cancelled|[Oo]rder {_CODE}, parts not shipped cancelled|[Rr]efund on order "
    rf"{_CODE})(?: online)?",
    "closed_card": r"the gift card •••• \w{4}, which "
    r"(?:is void|expired on \d{4}-\d{2}-\d{2})",
    "sku": r"\S+",
}
# Why an order is cancelled or refunded, when no one typed a reason.
_GIVEN_REASONS = (
    "Return {code}",
    "Order {code} cancelled",
    "Cancelled",
    "Cancelled by the customer",
    "Not collected within {n} days",
    "Not shipped",
    LAPSED_REASON,
)
_CAPTURED_SHORT = (
    "Stripe captured {amount} of the {amount} {currency} held; {amount} {currency} "
    "was not taken"
)
_REFUND_REASONS = (
    *_GIVEN_REASONS,
    *(f"{reason}{{gift_card}}" for reason in _GIVEN_REASONS),
    "{typed}{gift_card}",
)
ORDER_NOTES = Composed(
    "Placed via {channel}{card}",
    "Placed via {channel}{card} · delivery fee {amount} {currency} waived: "
    "{typed}{approved}",
    "E-gift card bought online",
    # A line sold at a price set at the counter: the reason typed goes.
    f"{PRICE_SET} {{sku}} {{amount}} instead of {{amount}} {{currency}}{{approved}}",
    f"{PRICE_SET} {{sku}} {{amount}} instead of {{amount}} {{currency}}: "
    "{typed}{approved}",
    "Pickup code verified",
    "Identity checked: {typed}{approved}",
    "Pickup locked after {n} wrong codes",
    "Pickup unlocked{approved}",
    "Pickup unlocked: {typed}{approved}",
    "Presumed delivered {n} days after shipping",
    "Refund of {amount} {currency} as store credit: the gift card {any}",
    "{part}",
    "{part} · Tracking {reference}",
    "Tracking {reference}",
    "{part} · {typed}",
    "Parts from {any} cancelled: Not shipped; {amount} {currency} refunded{approved}",
    "Parts from {any} cancelled: {typed}; {amount} {currency} refunded{approved}",
    "Transfer {any} closed short ({typed}); {any}",
    f"{_CAPTURED_SHORT}: take it before handing the goods over, or cancel.",
    "Stripe reports {amount} {currency} captured for the {amount} {currency} held; "
    "not booked: check the payment in Stripe",
    *(f"{reason}{{approved}}" for reason in _GIVEN_REASONS),
    "{typed}{by}",
    **_SLOTS,
)
REFUND_REASONS = Composed(*_REFUND_REASONS, **_SLOTS)
PAYMENT_NOTES = Composed(
    "Stripe event {any}",
    _CAPTURED_SHORT,
    *_REFUND_REASONS,
    **_SLOTS,
)
TILL_REASONS = Composed("Sale {code}", *_REFUND_REASONS, **_SLOTS)
_RETURN_REQUESTS = ("Exchange", "Without a receipt.", "Without a receipt. {typed}")
RETURN_REQUEST_NOTES = Composed(*_RETURN_REQUESTS)
RETURN_NOTES = Composed(
    "Started via {channel}{approved}{receipt}",
    "Accepted outside the return window: {typed}{approved}{receipt}",
    "Received outside the return window: {typed}{by} · {typed}",
    "Received outside the return window: {typed}{by}",
    "Received outside the return window: {typed}",
    "{method}{approved}",
    "Cancelled",
    **_SLOTS,
)
CREDIT_REASONS = Composed(
    "Return {code} of order {code}",
    "Order {code}",
    "Order {code}: refund of a payment by gift card {any}",
    "{refunded_for}: refund of a payment by {closed_card}",
    "Refund of a store credit payment ({any})",
    "Order {code}: store credit paid back",
    "Store credit paid back",
    "Store credit paid back: {refunded_for}",
    f"{EXPIRY_REASON} (credit due by {{any}})",
    FORFEIT_REASON,
    **_SLOTS,
)
# What an associate gave a manager as the reason: a pickup's identity check, a
# return's note.
APPROVAL_REASONS = Composed("Identity checked: {typed}", *_RETURN_REQUESTS)
# What a manager read of a delivery fee waived (``fee_waiver_ask``): whose sale it
# was goes, the fee, the goods' value and the country stay.
WAIVER_SUMMARIES = Composed(
    "Waive the {amount} {currency} delivery fee of a sale of {amount} {currency} "
    "delivered to {country}",
    "Waive the {amount} {currency} delivery fee of {typed}'s sale of {amount} "
    "{currency} delivered to {country}",
    country=r"[A-Z]{2}",
    **_SLOTS,
)

# Why a manager's request still open about an erased person ended.
ERASURE_NOTE = "Ended: the customer's data was erased."
