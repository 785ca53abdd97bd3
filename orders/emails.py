"""Order emails: queued in the business transaction, sent by the outbox after commit.

Each email is one outbox row (topic ``orders.email``) deduplicated per order and kind,
so a retried task or a second run of a periodic job never sends it twice. The handler
re-reads the order, renders ``templates/orders/email/<kind>.txt|.html`` and records the
message on the customer's timeline before the email leaves, last, in the outbox row's
transaction. Receipts are queued by the ``orders.placed`` batch, one row per order.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import struct
import zlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from email.mime.image import MIMEImage

import qrcode
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Prefetch, prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone

from customers.services.timeline import record_event, record_events, survivors_of
from customers.services.verification import (
    receipt_claim_code,
    receipt_claims_a_profile,
)
from omnistore.core import outbox
from omnistore.core.text import one_line
from orders.selectors.cash_shops import where_to_bring
from orders.selectors.orders import orders_for_email
from orders.selectors.parcels import Parcel, delivered_to, parcel_left
from orders.selectors.pickups import pickup_qr_payload, waits_for_the_shop
from orders.selectors.receipts import (
    Receipt,
    build_receipt,
    receipt_extras,
    same_items_once,
)
from orders.selectors.refunds_given import refund_tender, refunds_with_returns
from orders.selectors.return_post import return_address
from orders.selectors.returns import return_by_id, return_points, return_qr_payload

from .models import (
    GIFT_CARD_EMAIL_TOPIC,
    FulfilmentStatus,
    GiftCard,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ReturnReason,
    ReturnStatus,
)

logger = logging.getLogger(__name__)
TOPIC = "orders.email"
SUBJECTS = {
    "receipt": "Your order {number}",
    "ready": "Order {number} is ready for pickup",
    "reminder": "Reminder: order {number} is waiting for you",
    "shipped": "Order {number} is on its way",
    "parcel_shipped": "A parcel of your order {number} is on its way",
    "cancelled": "Order {number} is cancelled",
    "address_changed": "The delivery address of order {number} has changed",
}
# A split delivery whose parcels not sent were cancelled: what left is on its way.
PART_SHIPPED_SUBJECT = "Part of order {number} is on its way"
WITH_QR = frozenset({"ready", "reminder"})
QR_CID = "pickup-qr"
# Where a refund went (``Refund.given_as``), as the customer reads it after the amount.
REFUNDED_TO = {
    PaymentMethod.CARD_ONLINE: "to your card",
    PaymentMethod.CARD_IN_STORE: "to your card",
    PaymentMethod.CASH: "in cash",
    PaymentMethod.GIFT_CARD: "to your gift card",
    PaymentMethod.STORE_CREDIT: "to your store credit",
    PaymentMethod.MOBILE_WALLET: "to your mobile wallet",
    PaymentMethod.LOYALTY_POINTS: "as loyalty points",
}


def enqueue_order_email(
    *, order: Order, kind: str, dedupe: str = "", parts: Sequence[int] = ()
) -> bool:
    """Queue ``kind`` for ``order`` (once per order and kind unless ``dedupe`` differs):
    whether it was queued now; ``parts``, the fulfilments it is about (a parcel).
    Orders without an email address get none."""
    if kind not in SUBJECTS:
        raise ValueError(f"unknown order email {kind!r}")
    if not order.email:
        return False
    payload = {"order_id": order.pk, "kind": kind}
    if parts:
        payload["parts"] = sorted(parts)
    queued = outbox.enqueue(
        TOPIC,
        payload,
        dedupe_key=f"{TOPIC}:{kind}:{order.pk}{':' + dedupe if dedupe else ''}",
    )
    return queued is not None


def qr_png(data: str, *, scale: int = 8, border: int = 4) -> bytes:
    """A black-on-white PNG of the QR code for ``data`` (1 bit per pixel)."""
    code = qrcode.QRCode(
        border=border, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix) * scale
    rows = bytearray()
    for cells in matrix:
        bits = "".join(("0" if cell else "1") * scale for cell in cells)
        bits += "0" * (-len(bits) % 8)
        row = bytes([0]) + int(bits, 2).to_bytes(len(bits) // 8, "big")
        rows += row * scale

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _addressed_to_profile(order: Order) -> bool:
    """Whether the order's email goes to its profile's own address: a guest typing
    another address beside an identity of a known profile (a phone given at a
    shop) is not told whose profile that is."""
    customer = order.customer
    if customer is None or not order.email:
        return False
    return order.email.strip().lower() == (customer.email or "").strip().lower()


@dataclasses.dataclass(frozen=True)
class RefundSaid:
    """A refund as an order email says it: "Refunded: 19.90 EUR in cash"; store
    credit with ``valid_until``, the day it expires."""

    amount: Decimal
    currency: str
    to: str
    valid_until: date | None = None


def _refunds_said(order: Order) -> list[RefundSaid]:
    """What was given back on the order's payments (their refunds loaded as
    ``refunds_with_returns``), each said with where it went (store credit for a
    gift card that could no longer take it) and, for store credit, the day it
    expires. An order email is sent as the order is cancelled or shipped, before
    any return: its refunds are those of what was cancelled."""
    said = []
    for payment in order.payments.all():
        for refund in payment.refunds.all():
            expires = getattr(refund, "credit_expires_at", None)
            tender = refund_tender(refund, refund.amount, expires)
            to = REFUNDED_TO[tender.method]
            said.append(
                RefundSaid(refund.amount, payment.currency, to, tender.valid_until)
            )
    return said


# A pickup the expiry job cancelled: its reason names the days it waited.
_NOT_COLLECTED = re.compile(r"^Not collected within (\d+) days")
_BY_CUSTOMER = "Cancelled by the customer"


def _cancelled_by_customer(order_or_return, change) -> bool:
    """Whether the customer cancelled: signed in as the profile's own user."""
    customer = order_or_return.customer
    return bool(
        change.actor_id and customer is not None and customer.user_id == change.actor_id
    )


def _why_cancelled(order: Order) -> dict:
    """Why the order is cancelled, as the customer reads it: not collected in time
    (``not_collected_days``), at their request, or by the shop. A reason staff typed
    is for the shop's history and is not repeated to the customer."""
    change = (
        order.history.filter(to_status=OrderStatus.CANCELLED)
        .order_by("-at", "-pk")
        .first()
    )
    if change is None:
        return {"cancelled_by": "shop"}
    expired = _NOT_COLLECTED.match(change.note)
    if expired:
        return {"cancelled_by": "expiry", "not_collected_days": int(expired[1])}
    if change.note.startswith(_BY_CUSTOMER) or _cancelled_by_customer(order, change):
        return {"cancelled_by": "customer"}
    return {"cancelled_by": "shop"}


def _shipped_said(order: Order) -> dict:
    """What the shipped email lists: each parcel that left with its lines and
    tracking number; and, for a split delivery whose other parts were cancelled
    before they left, their lines, the refunds and what the order comes to now."""
    parts = list(order.fulfilments.all())
    gone = {f.pk for f in parts if f.status == FulfilmentStatus.CANCELLED}
    sent = [f for f in parts if f.pk not in gone]
    lines = list(order.lines.all())
    parcels = [
        Parcel.of(f, [x for x in lines if x.fulfilment_id == f.pk]) for f in sent
    ] or [Parcel("", [])]
    known = {f.pk for f in parts}
    parcels[0].lines.extend(x for x in lines if x.fulfilment_id not in known)
    parcels = [dataclasses.replace(p, lines=same_items_once(p.lines)) for p in parcels]
    refunds = []
    if gone:  # a delivery cut short: its payments' refunds are read only then
        prefetch_related_objects(
            list(order.payments.all()),
            Prefetch("refunds", queryset=refunds_with_returns()),
        )
        refunds = _refunds_said(order)
    return {
        "parcels": parcels,
        "several": len(parcels) > 1,
        "cancelled_lines": same_items_once(x for x in lines if x.fulfilment_id in gone),
        "refunds": refunds,
        "total_now": order.total - sum((r.amount for r in refunds), Decimal("0.00")),
    }


def _said_in(order: Order, kind: str, parts: Sequence[int]) -> dict:
    """What an email of ``kind`` says beyond the order's lines and payments."""
    if kind in WITH_QR:
        # Cash held: past its date the shop cancels it, nothing refunds it by itself.
        return {"waits_for_shop": waits_for_the_shop(order)}
    if kind == "cancelled":
        return {"refunds": _refunds_said(order), **_why_cancelled(order)}
    if kind == "shipped":
        return _shipped_said(order)
    if kind == "parcel_shipped":
        return parcel_left(order, parts)
    if kind == "address_changed":
        return {"address": delivered_to(order)}
    return {}


def build_order_email(
    *,
    order: Order,
    kind: str,
    receipt: Receipt | None = None,
    parts: Sequence[int] = (),
) -> EmailMultiAlternatives:
    """The email of ``kind``; a receipt email shows ``receipt`` (the same one the
    shop prints), built here when not given; a parcel's email, the ``parts`` that
    left in it."""
    if kind == "receipt" and receipt is None:
        bookings, exchanges = receipt_extras([order])
        receipt = build_receipt(
            order, booking=bookings.get(order.pk), exchange=exchanges.get(order.pk)
        )
    if receipt is not None and not _addressed_to_profile(order):
        receipt = dataclasses.replace(receipt, customer="")
    pickup = next(
        (f.pickup_location for f in order.fulfilments.all() if f.pickup_location_id),
        None,
    )
    context = {
        "order": order,
        "lines": same_items_once(order.lines.all()),
        "payments": list(order.payments.all()),
        "fulfilments": list(order.fulfilments.all()),
        "pickup_location": pickup,
        "customer_name": (
            order.customer.first_name if _addressed_to_profile(order) else ""
        ),
        "site_url": settings.OMNISTORE_SITE_URL,
        "expires_at": (
            timezone.localtime(order.pickup_expires_at)
            if order.pickup_expires_at
            else None
        ),
        "qr_cid": QR_CID if kind in WITH_QR else "",
        # "Nothing was charged": a hold that lapsed, and no payment taken beside it
        # (a capture short of its hold leaves its rest lapsed, but did charge).
        "lapsed": any(p.status == PaymentStatus.LAPSED for p in order.payments.all())
        and not any(
            p.status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED)
            for p in order.payments.all()
        ),
        "claim_code": (
            receipt_claim_code(order.number)
            if kind == "receipt"
            and receipt_claims_a_profile(order.customer, order.number)
            else ""
        ),
        "receipt": receipt,
        **_said_in(order, kind, parts),
    }
    cut_short = kind == "shipped" and context["cancelled_lines"]
    subject = (PART_SHIPPED_SUBJECT if cut_short else SUBJECTS[kind]).format(
        number=order.number
    )
    text = render_to_string(f"orders/email/{kind}.txt", context)
    html = render_to_string(f"orders/email/{kind}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.email],
    )
    message.attach_alternative(html, "text/html")
    if kind in WITH_QR and order.pickup_code:
        image = MIMEImage(qr_png(pickup_qr_payload(order)), "png")
        image.add_header("Content-ID", f"<{QR_CID}>")
        image.add_header("Content-Disposition", "inline", filename="pickup-code.png")
        message.attach(image)
        message.mixed_subtype = "related"
    return message


def enqueue_receipts(*, order_ids: list[int]) -> None:
    """Queue the receipt of each order that has an address, once per order, in the
    order the orders were placed."""
    orders = Order.objects.filter(pk__in=order_ids).exclude(email="").order_by("pk")
    for order in orders.only("pk", "email"):
        enqueue_order_email(order=order, kind="receipt")


def prefetch_receipts(payloads: list[dict]) -> dict:
    """What the receipts among a drain's rows show, read at once: the orders with
    their lines, VAT, payments and fulfilments, till bookings, exchanges and the
    profiles' survivors — a fixed number of queries for any number of receipts —
    and the refunds of payments that gave some back (a receipt sent again after a
    cancellation lists them), one more query only when there are any. Other kinds
    of email read their order as they are sent."""
    ids = sorted({p["order_id"] for p in payloads if p.get("kind") == "receipt"})
    if not ids:
        return {}
    orders = orders_for_email(ids)
    given_back = [p for o in orders for p in o.payments.all() if p.refunded_amount]
    prefetch_related_objects(
        given_back, Prefetch("refunds", queryset=refunds_with_returns())
    )
    bookings, exchanges = receipt_extras(orders)
    survivors = survivors_of(o.customer_id for o in orders if o.customer_id)
    return {
        order.pk: (
            order,
            build_receipt(
                order, booking=bookings.get(order.pk), exchange=exchanges.get(order.pk)
            ),
            survivors,
        )
        for order in orders
    }


@outbox.handler(TOPIC, prefetch=prefetch_receipts)
def deliver_order_email(payload: dict, loaded: dict) -> None:
    """Record the email on the customer's timeline, then send it, last: when the
    send fails, the record is rolled back with the outbox row's transaction and the
    row is retried; when it succeeds, nothing after it can fail and send it again.
    A receipt comes read with the others of its drain (``prefetch_receipts``)."""
    kind = payload["kind"]
    if kind == "receipt" and payload["order_id"] in loaded:
        order, receipt, survivors = loaded[payload["order_id"]]
    else:
        refunds = kind in ("cancelled", "receipt")
        order = orders_for_email([payload["order_id"]], refunds=refunds)[0]
        receipt, survivors = None, None
    if not order.email:
        return
    message = build_order_email(
        order=order, kind=kind, receipt=receipt, parts=payload.get("parts", ())
    )
    if order.customer_id:
        record_events(
            [
                {
                    "customer": order.customer_id,
                    "kind": "message_sent",
                    "summary": f"Email sent: {message.subject}",
                    "channel": "email",
                    "data": {"template": f"orders.{kind}", "to": order.email},
                    "reference_type": "order",
                    "reference_id": order.number,
                }
            ],
            survivors=survivors,
        )
    message.send()


# --- Returns --------------------------------------------------------------------------
#
# Return emails travel like order emails: one outbox row per return and kind, the
# handler re-reads the return, renders ``templates/orders/email/<kind>.txt|.html`` and
# records the message on the customer's timeline.


RETURN_TOPIC = "orders.return_email"
RETURN_SUBJECTS = {
    "return_requested": "Your return {code} for order {number}",
    "refund": "Your refund for return {code}",
    "return_cancelled": "Your return {code} is cancelled",
}
EXCHANGE_SUBJECT = "Your exchange for return {code}"
RETURN_QR_CID = "return-qr"


def enqueue_return_email(*, return_request, kind: str) -> None:
    """Queue ``kind`` for a return, once per return and kind; no address, no email."""
    if kind not in RETURN_SUBJECTS:
        raise ValueError(f"unknown return email {kind!r}")
    if not return_request.order.email:
        return
    outbox.enqueue(
        RETURN_TOPIC,
        {"return_id": return_request.pk, "kind": kind},
        dedupe_key=f"{RETURN_TOPIC}:{kind}:{return_request.pk}",
    )


def _return_refunds(return_request) -> list:
    """The return's refunds, each with ``to``: where it went, as the customer reads it
    after "back" ("back in cash", "back to your card", "back to your store credit"
    for a gift card void or past its date), and ``valid_until``: the day such store
    credit expires."""
    refunds = list(return_request.refunds.all())
    for refund in refunds:
        expires = getattr(refund, "credit_expires_at", None)
        tender = refund_tender(refund.refund, refund.amount, expires)
        refund.to = REFUNDED_TO[tender.method]
        refund.valid_until = tender.valid_until
    return refunds


# A return's reason in the customer's own words where the staff label speaks of them.
REASONS_SAID = {ReturnReason.CHANGED_MIND: "Changed my mind"}


def _return_lines(return_request) -> list:
    """The return's lines, each with ``reason_said``: its reason as the customer
    gave it."""
    lines = list(return_request.lines.all())
    for line in lines:
        line.reason_said = REASONS_SAID.get(line.reason) or line.get_reason_display()
    return lines


def _who_cancelled_return(return_request) -> dict:
    """Whether the shop cancelled the return rather than the customer, and the shop
    the customer can ask about it (none when no shop was named)."""
    change = (
        return_request.history.filter(to_status=ReturnStatus.CANCELLED)
        .select_related("location")
        .order_by("-at", "-pk")
        .first()
    )
    if change is None or _cancelled_by_customer(return_request, change):
        return {"cancelled_by_shop": False, "contact_shop": None}
    return {"cancelled_by_shop": True, "contact_shop": change.location}


def build_return_email(*, return_request, kind: str) -> EmailMultiAlternatives:
    order = return_request.order
    with_qr = kind == "return_requested"
    context = {
        "return": return_request,
        "order": order,
        "lines": _return_lines(return_request),
        "refunds": _return_refunds(return_request),
        "points": return_points(return_request),
        "store_credit": list(return_request.store_credit.all()),
        "customer_name": (
            return_request.customer.first_name if return_request.customer else ""
        ),
        "site_url": settings.OMNISTORE_SITE_URL,
        "window_days": settings.OMNISTORE_RETURN_WINDOW_DAYS,
        "qr_cid": RETURN_QR_CID if with_qr else "",
        "post_to": return_address(return_request) if with_qr else None,
        "bring_to": where_to_bring(return_request) if with_qr else "",
    }
    if kind == "return_cancelled":
        context.update(_who_cancelled_return(return_request))
    exchanged = kind == "refund" and return_request.exchange_order_id
    subject = (EXCHANGE_SUBJECT if exchanged else RETURN_SUBJECTS[kind]).format(
        code=return_request.code, number=order.number
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"orders/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.email],
    )
    message.attach_alternative(
        render_to_string(f"orders/email/{kind}.html", context), "text/html"
    )
    if with_qr:
        image = MIMEImage(qr_png(return_qr_payload(return_request)), "png")
        image.add_header("Content-ID", f"<{RETURN_QR_CID}>")
        image.add_header("Content-Disposition", "inline", filename="return-code.png")
        message.attach(image)
        message.mixed_subtype = "related"
    return message


@outbox.handler(RETURN_TOPIC)
def deliver_return_email(payload: dict) -> None:
    return_request = return_by_id(payload["return_id"])
    kind = payload["kind"]
    if not return_request.order.email:
        return
    message = build_return_email(return_request=return_request, kind=kind)
    if return_request.customer_id:
        # Recorded first and sent last: a failed send rolls the record back with the
        # outbox row, and nothing after a successful send can make it go again.
        record_event(
            customer=return_request.customer,
            kind="message_sent",
            summary=f"Email sent: {message.subject}",
            channel="email",
            data={"template": f"orders.{kind}", "to": return_request.order.email},
            reference_type="return",
            reference_id=return_request.code,
        )
    message.send()


def _gift_sender(card: GiftCard) -> str:
    """Who gives the card, as the recipient knows them: the name the buyer gave,
    else the signed-in buyer's first name (a guest who gave none: nobody named)."""
    if card.sender_name:
        return one_line(card.sender_name)
    buyer = card.order.customer if card.order_id else None
    if buyer is None:
        return ""
    user = buyer.user if buyer.user_id else None
    return one_line(buyer.first_name or (user.first_name if user is not None else ""))


@outbox.handler(GIFT_CARD_EMAIL_TOPIC)
def deliver_gift_card_email(payload: dict) -> None:
    """The e-gift card to its recipient, with the PIN made when it was due."""
    card = GiftCard.objects.select_related("order__customer__user").get(
        pk=payload["card_id"]
    )
    if not card.recipient_email:  # erased on request meanwhile
        return
    sender = _gift_sender(card)
    context = {"card": card, "pin": payload["pin"], "sender": sender}
    message = EmailMultiAlternatives(
        subject=(
            f"{sender} sent you a gift card of {card.initial_amount} {card.currency}"
            if sender
            else f"A gift card of {card.initial_amount} {card.currency} for you"
        ),
        body=render_to_string("orders/email/gift_card.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[card.recipient_email],
    )
    message.attach_alternative(
        render_to_string("orders/email/gift_card.html", context), "text/html"
    )
    message.send()
