"""Order emails: queued in the business transaction, sent by the outbox after commit.

Each email is one outbox row (topic ``orders.email``) deduplicated per order and kind,
so a retried task or a second run of a periodic job never sends it twice. The handler
re-reads the order, renders ``templates/orders/email/<kind>.txt|.html`` and records the
message on the customer's timeline. ``deliver_order_emails`` does this for many orders
at once (the receipts of a drained batch of placed orders) with a fixed number of
queries and one mail connection; a single email is a batch of one.
"""

from __future__ import annotations

import logging
import struct
import zlib
from email.mime.image import MIMEImage

import qrcode
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from customers.services.timeline import record_event, record_events
from customers.services.verification import receipt_claim_code
from omnistore.core import outbox
from orders.selectors.orders import orders_for_email
from orders.selectors.pickups import pickup_qr_payload
from orders.selectors.receipts import Receipt, build_receipt, receipt_extras
from orders.selectors.returns import return_by_id, return_qr_payload

from .models import Order

logger = logging.getLogger(__name__)
TOPIC = "orders.email"
SUBJECTS = {
    "receipt": "Your order {number}",
    "ready": "Order {number} is ready for pickup",
    "reminder": "Reminder: order {number} is waiting for you",
    "shipped": "Order {number} is on its way",
    "cancelled": "Order {number} is cancelled",
}
WITH_QR = frozenset({"ready", "reminder"})
QR_CID = "pickup-qr"


def enqueue_order_email(*, order: Order, kind: str, dedupe: str = "") -> None:
    """Queue ``kind`` for ``order`` (once per order and kind unless ``dedupe`` differs).
    Orders without an email address get none."""
    if kind not in SUBJECTS:
        raise ValueError(f"unknown order email {kind!r}")
    if not order.email:
        return
    outbox.enqueue(
        TOPIC,
        {"order_id": order.pk, "kind": kind},
        dedupe_key=f"{TOPIC}:{kind}:{order.pk}{':' + dedupe if dedupe else ''}",
    )


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


def build_order_email(
    *, order: Order, kind: str, receipt: Receipt | None = None
) -> EmailMultiAlternatives:
    """The email of ``kind``; a receipt email shows ``receipt`` (the same one the
    shop prints), built here when not given."""
    if kind == "receipt" and receipt is None:
        bookings, exchanges = receipt_extras([order])
        receipt = build_receipt(
            order, booking=bookings.get(order.pk), exchange=exchanges.get(order.pk)
        )
    pickup = next(
        (f.pickup_location for f in order.fulfilments.all() if f.pickup_location_id),
        None,
    )
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "payments": list(order.payments.all()),
        "fulfilments": list(order.fulfilments.all()),
        "pickup_location": pickup,
        "customer_name": order.customer.first_name if order.customer else "",
        "site_url": settings.OMNISTORE_SITE_URL,
        "expires_at": (
            timezone.localtime(order.pickup_expires_at)
            if order.pickup_expires_at
            else None
        ),
        "qr_cid": QR_CID if kind in WITH_QR else "",
        "claim_code": (
            receipt_claim_code(order.number) if kind == "receipt" else ""
        ),
        "receipt": receipt,
    }
    subject = SUBJECTS[kind].format(number=order.number)
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


def _receipts(orders: list[Order]) -> dict[int, Receipt]:
    """The receipts of a batch, their till bookings and exchanges read at once."""
    if not orders:
        return {}
    bookings, exchanges = receipt_extras(orders)
    return {
        order.pk: build_receipt(
            order, booking=bookings.get(order.pk), exchange=exchanges.get(order.pk)
        )
        for order in orders
    }


@outbox.handler(TOPIC)
def deliver_order_email(payload: dict) -> outbox.Retry | None:
    return deliver_order_emails([payload])[0]


def deliver_order_emails(payloads: list[dict]) -> list[outbox.Retry | None]:
    """Send the email each payload (``order_id``, ``kind``) asks for, then record the
    sent ones on the customers' timelines; one outcome per payload.

    Every message is rendered before the first one leaves, and they leave one at a
    time over one connection: when the mail server fails, the messages before are
    recorded as sent and the failed one and those after it come back as ``Retry``,
    so a retry never sends an email twice. An order without an address gets none.
    """
    orders = orders_for_email(
        [payload["order_id"] for payload in payloads],
        refunds=any(payload["kind"] == "cancelled" for payload in payloads),
    )
    outcomes: list[outbox.Retry | None] = [None] * len(payloads)
    kinds = [payload["kind"] for payload in payloads]
    receipts = _receipts(
        [order for order, kind in zip(orders, kinds, strict=True) if kind == "receipt"]
    )
    pending = [
        (
            index,
            order,
            kind,
            build_order_email(order=order, kind=kind, receipt=receipts.get(order.pk)),
        )
        for index, (order, kind) in enumerate(zip(orders, kinds, strict=True))
        if order.email
    ]
    sent = []
    if pending:
        with get_connection() as connection:
            for position, (_, order, kind, message) in enumerate(pending):
                try:
                    connection.send_messages([message])
                except Exception as exc:  # the rest wait for the retry
                    logger.exception("order email to %s failed", order.number)
                    for later, *_ in pending[position:]:
                        outcomes[later] = outbox.Retry(repr(exc))
                    break
                sent.append((order, kind, message))
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
            for order, kind, message in sent
            if order.customer_id
        ]
    )
    return outcomes


# --- Returns --------------------------------------------------------------------------
#
# Return emails travel like order emails: one outbox row per return and kind, the
# handler re-reads the return, renders ``templates/orders/email/<kind>.txt|.html`` and
# records the message on the customer's timeline.


RETURN_TOPIC = "orders.return_email"
RETURN_SUBJECTS = {
    "return_requested": "Your return {code} for order {number}",
    "refund": "Your refund for return {code}",
}
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


def build_return_email(*, return_request, kind: str) -> EmailMultiAlternatives:
    order = return_request.order
    with_qr = kind == "return_requested"
    context = {
        "return": return_request,
        "order": order,
        "lines": list(return_request.lines.all()),
        "refunds": list(return_request.refunds.all()),
        "store_credit": list(return_request.store_credit.all()),
        "customer_name": (
            return_request.customer.first_name if return_request.customer else ""
        ),
        "site_url": settings.OMNISTORE_SITE_URL,
        "window_days": settings.OMNISTORE_RETURN_WINDOW_DAYS,
        "qr_cid": RETURN_QR_CID if with_qr else "",
    }
    subject = RETURN_SUBJECTS[kind].format(
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
    message.send()
    if return_request.customer_id:
        record_event(
            customer=return_request.customer,
            kind="message_sent",
            summary=f"Email sent: {message.subject}",
            channel="email",
            data={"template": f"orders.{kind}", "to": return_request.order.email},
            reference_type="return",
            reference_id=return_request.code,
        )
