"""What the orders app holds about a person, for the export and the erasure that
``customers.privacy`` runs (registered by ``OrdersConfig.ready``).

Orders, returns, payments and the store credit ledger stay for the books: amounts,
dates, statuses, codes and references are kept. Contact data, delivery addresses and
every free text (notes, reasons) go, and order and return emails not sent yet are
cancelled.

A person with orders still to be shipped or collected, or a return still open, is not
erased yet: the address, the email with the pickup code and the person to hand the
goods to are still needed. The erasure is refused (409 ``open_orders``, naming them)
and nothing is erased.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from customers.privacy import ERASED_TEXT, Erasure, PersonalData, Texts
from customers.selectors.export import iso
from omnistore.approvals.models import Approval
from omnistore.core.exceptions import Conflict
from omnistore.core.models import OutboxMessage
from omnistore.core.redaction import cancel_pending
from orders.emails import RETURN_TOPIC
from orders.emails import TOPIC as ORDER_EMAIL_TOPIC
from orders.models import (
    Cart,
    CartLine,
    DiscountRedemption,
    Fulfilment,
    GiftCard,
    GiftCardTransaction,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    OrderTaxTotal,
    Payment,
    PaymentEvent,
    Refund,
    Return,
    ReturnLine,
    ReturnRefund,
    ReturnStatus,
    ReturnStatusChange,
    StoreCreditTransaction,
    TerminalIntent,
    TerminalIntentEvent,
    TillMovement,
)
from orders.selectors.orders import history_for_the_customer, notes_for_the_customer

CANCELLED_FOR_ERASURE = "Cancelled: the recipient's data was erased on request."
# Keys of a delivery address that name or reach the person (not the town).
ADDRESS_VALUES = ("name", "line1", "line2", "phone")
# Orders still to be shipped or collected, returns not yet refunded or closed: the
# person's contact data is still needed for them, so no erasure meanwhile.
OPEN_ORDER_STATUSES = (OrderStatus.PLACED, OrderStatus.PICKED, OrderStatus.READY)
OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)


def _orders(customer_ids) -> QuerySet[Order]:
    return Order.objects.filter(customer_id__in=customer_ids)


def _returns(customer_ids) -> QuerySet[Return]:
    """Returns of the person, and returns of their orders started without a profile."""
    return Return.objects.filter(
        Q(customer_id__in=customer_ids) | Q(order__customer_id__in=customer_ids)
    )


# --- Export -------------------------------------------------------------------------


def _order_row(order: Order, history: list[OrderStatusChange]) -> dict[str, Any]:
    return {
        "number": order.number,
        "channel": order.channel,
        "status": order.status,
        "fulfilment_method": order.fulfilment_method,
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "discount_total": str(order.discount_total),
        "delivery_fee": str(order.delivery_fee),
        "total": str(order.total),
        "discount_code": order.discount_code,
        "email": order.email,
        "phone": order.phone,
        "loyalty_points": order.loyalty_points,
        "created_at": iso(order.created_at),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "discount": str(line.discount),
                "line_total": str(line.line_total),
            }
            for line in order.lines.all()
        ],
        "fulfilments": [
            {
                "method": f.method,
                "status": f.status,
                "address": f.address,
                "tracking_reference": f.tracking_reference,
            }
            for f in order.fulfilments.all()
        ],
        "payments": [
            {
                "method": p.method,
                "amount": str(p.amount),
                "refunded_amount": str(p.refunded_amount),
                "status": p.status,
                "at": iso(p.created_at),
                "refunds": [
                    {
                        "amount": str(r.amount),
                        "reason": r.reason,
                        "at": iso(r.created_at),
                    }
                    for r in p.refunds.all()
                ],
            }
            for p in order.payments.all()
        ],
        "history": [
            {
                "from": h.from_status,
                "to": h.to_status,
                "note": h.customer_note,
                "at": iso(h.at),
            }
            for h in history
        ],
    }


def _export_orders(customer_ids) -> list[dict[str, Any]]:
    orders = (
        _orders(customer_ids)
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch("lines", OrderLine.objects.order_by("id")),
            Prefetch("fulfilments", Fulfilment.objects.order_by("id")),
            Prefetch(
                "payments",
                Payment.objects.order_by("id").prefetch_related("refunds"),
            ),
            Prefetch("history", OrderStatusChange.objects.order_by("at", "id")),
        )
    )
    orders = list(orders)
    history = history_for_the_customer(orders)  # notes as the customer reads them
    return [_order_row(order, history[order.pk]) for order in orders]


def _return_row(ret: Return) -> dict[str, Any]:
    return {
        "code": ret.code,
        "order": ret.order.number,
        "status": ret.status,
        "started_channel": ret.started_channel,
        "refund_method": ret.refund_method,
        "refund_total": str(ret.refund_total),
        "note": ret.note,
        "override_reason": ret.override_reason,
        "created_at": iso(ret.created_at),
        "lines": [
            {
                "sku": line.order_line.sku,
                "quantity": line.quantity,
                "reason": line.reason,
                "note": line.note,
                "condition": line.condition,
                "amount": str(line.amount),
            }
            for line in ret.lines.all()
        ],
        "refunds": [str(r.amount) for r in ret.refunds.all()],
        "history": [
            {
                "from": h.from_status,
                "to": h.to_status,
                "note": h.customer_note,
                "at": iso(h.at),
            }
            for h in ret.history.all()
        ],
    }


def _export_returns(customer_ids) -> list[dict[str, Any]]:
    returns = (
        _returns(customer_ids)
        .select_related("order")
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch(
                "lines",
                ReturnLine.objects.select_related("order_line").order_by("id"),
            ),
            Prefetch("refunds", ReturnRefund.objects.order_by("id")),
            Prefetch("history", ReturnStatusChange.objects.order_by("at", "id")),
        )
    )
    returns = list(returns)
    notes_for_the_customer(  # as the customer reads staff
        [change for ret in returns for change in ret.history.all()],
        [ret.order for ret in returns],
    )
    return [_return_row(ret) for ret in returns]


def _export_store_credit(customer_ids) -> list[dict[str, Any]]:
    return [
        {
            "kind": t.kind,
            "amount": str(t.amount),
            "currency": t.currency,
            "reason": t.reason,
            "reference": t.reference,
            "at": iso(t.created_at),
            "expires_at": iso(t.expires_at),
        }
        for t in StoreCreditTransaction.objects.filter(
            customer_id__in=customer_ids
        ).order_by("created_at", "id")
    ]


def _export_carts(customer_ids) -> list[dict[str, Any]]:
    carts = (
        Cart.objects.filter(customer_id__in=customer_ids)
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch("lines", CartLine.objects.select_related("variant").order_by("id"))
        )
    )
    return [
        {
            "channel": cart.channel,
            "status": cart.status,
            "created_at": iso(cart.created_at),
            "lines": [
                {"sku": line.variant.sku, "quantity": line.quantity}
                for line in cart.lines.all()
            ],
        }
        for cart in carts
    ]


def _export_discounts(customer_ids) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code.code,
            "order": r.order.number,
            "amount": str(r.amount),
            "at": iso(r.created_at),
            "released_at": iso(r.released_at),
        }
        for r in DiscountRedemption.objects.filter(customer_id__in=customer_ids)
        .select_related("code", "order")
        .order_by("created_at", "id")
    ]


def export_order_sections(customer_ids: tuple[int, ...]) -> dict[str, Any]:
    return {
        "orders": _export_orders(customer_ids),
        "returns": _export_returns(customer_ids),
        "store_credit": _export_store_credit(customer_ids),
        "carts": _export_carts(customer_ids),
        "discount_codes_used": _export_discounts(customer_ids),
    }


# --- Erasure ------------------------------------------------------------------------


def order_values(customer_ids: tuple[int, ...]) -> set[str]:
    """Contact data and delivery addresses on the person's orders."""
    orders = _orders(customer_ids)
    values: set[str] = set()
    for email, phone in orders.values_list("email", "phone"):
        values |= {email, phone}
    for address in Fulfilment.objects.filter(order__in=orders).values_list(
        "address", flat=True
    ):
        values |= {str(address.get(key) or "") for key in ADDRESS_VALUES}
    values.discard("")
    return values


def _blank(queryset: QuerySet, *fields: str) -> None:
    for name in fields:
        queryset.exclude(**{name: ""}).update(**{name: ERASED_TEXT})


def _open_ones(customer_ids: tuple[int, ...]) -> tuple[list[str], list[str]]:
    """Numbers of the person's orders still to be shipped or collected, and codes of
    their returns still open, oldest first."""
    orders = (
        _orders(customer_ids)
        .filter(status__in=OPEN_ORDER_STATUSES)
        .order_by("created_at", "id")
        .values_list("number", flat=True)
    )
    returns = (
        _returns(customer_ids)
        .filter(status__in=OPEN_RETURN_STATUSES)
        .order_by("created_at", "id")
        .values_list("code", flat=True)
    )
    return list(orders), list(returns)


def _waiting(kind: str, refs: list[str], state: str, advice: str) -> str:
    """One kind of what is still open, named, with what to do about it."""
    if len(refs) == 1:
        named, pronoun = f"{kind} {refs[0]} is", "it"
    else:
        named, pronoun = f"{kind}s {', '.join(refs)} are", "them"
    return f"{named} {state} ({advice.format(it=pronoun)})"


def refuse_while_open(customer_ids: tuple[int, ...]) -> None:
    """Refuse (409 ``open_orders``) while an order of the person is still to be
    shipped or collected, or a return of theirs is still open, naming them and what
    can be done about them."""
    orders, returns = _open_ones(customer_ids)
    if not orders and not returns:
        return
    waiting = []
    if orders:
        waiting.append(
            _waiting(
                "order",
                orders,
                "still to be shipped or collected",
                "wait for {it} to be shipped or collected, or cancel {it} first",
            )
        )
    if returns:
        waiting.append(
            _waiting(
                "return",
                returns,
                "still open",
                "wait for {it} to be refunded or closed",
            )
        )
    raise Conflict(
        f"The personal data cannot be erased yet: {' and '.join(waiting)}. "
        "Then ask again.",
        code="open_orders",
        extra={"orders": orders, "returns": returns},
    )


def erase_order_data(erasure: Erasure) -> None:
    """Orders stay for the books, the contact data, addresses and free texts on them
    go; order and return emails still waiting are cancelled. Refused, before anything
    of this app is touched, while orders or returns are still open (the whole erasure
    is then rolled back)."""
    refuse_while_open(erasure.customer_ids)
    orders = _orders(erasure.customer_ids)
    returns = _returns(erasure.customer_ids)
    Fulfilment.objects.filter(order__in=orders).exclude(address={}).update(address={})
    orders.update(email="", phone="")
    _blank(OrderStatusChange.objects.filter(order__in=orders), "note")
    _blank(Refund.objects.filter(payment__order__in=orders), "reason")
    _blank(PaymentEvent.objects.filter(payment__order__in=orders), "note")
    _blank(TillMovement.objects.filter(order__in=orders), "reason")
    _blank(returns, "note", "override_reason")
    _blank(ReturnLine.objects.filter(return_request__in=returns), "note")
    _blank(ReturnStatusChange.objects.filter(return_request__in=returns), "note")
    _blank(
        StoreCreditTransaction.objects.filter(customer_id__in=erasure.customer_ids),
        "reason",
    )
    GiftCard.objects.filter(order__in=orders).update(
        recipient_email="", recipient_name="", message=""
    )
    _blank(GiftCardTransaction.objects.filter(order__in=orders), "reason")
    _erase_terminal_sales(erasure, orders)
    _erase_counter_texts(erasure, orders)
    order_ids = list(orders.values_list("pk", flat=True))
    return_ids = list(returns.values_list("pk", flat=True))
    cancel_pending(
        OutboxMessage.objects.filter(
            Q(topic=ORDER_EMAIL_TOPIC, payload__order_id__in=order_ids)
            | Q(topic=RETURN_TOPIC, payload__return_id__in=return_ids)
        ),
        reason=CANCELLED_FOR_ERASURE,
    )


def _erase_counter_texts(erasure: Erasure, orders: QuerySet[Order]) -> None:
    """Why a price was changed on the person's sale lines, and what staff wrote when
    asking a manager about their orders (an identity checked at a pickup)."""
    _blank(
        CartLine.objects.filter(
            Q(cart__customer_id__in=erasure.customer_ids) | Q(cart__order__in=orders)
        ),
        "counter_price_reason",
    )
    subjects = [f"order:{n}" for n in orders.values_list("number", flat=True)]
    _blank(Approval.objects.filter(subject__in=subjects), "reason", "decision_note")


def _erase_terminal_sales(erasure: Erasure, orders: QuerySet[Order]) -> None:
    """A card payment at the counter keeps the sale it was for (the buyer's contact,
    a delivery address) until the card pays: it goes for the person's orders, and for
    intents that never became one but name them."""
    values = sorted(erasure.values)
    intents = TerminalIntent.objects.filter(
        Q(order__in=orders)
        | Q(sale__customer__phone__in=values)
        | Q(sale__customer__email__in=values)
        | Q(sale__customer__loyalty_number__in=values)
    )
    _blank(TerminalIntentEvent.objects.filter(intent__in=intents), "note")
    intents.exclude(sale={}).update(sale={})


def personal_data() -> PersonalData:
    status_change = Texts(erased=("note",), kept=("from_status", "to_status"))
    return PersonalData(
        name="orders",
        models={
            Order: Texts(
                erased=("email", "phone", "idempotency_fingerprint"),
                kept=("number", "channel", "status", "fulfilment_method", "currency")
                + ("idempotency_scope", "idempotency_key", "discount_code")
                + ("pickup_code", "tax_country"),
            ),
            Fulfilment: Texts(
                erased=("address",), kept=("method", "status", "tracking_reference")
            ),
            OrderLine: Texts(kept=("sku", "name", "tax_class")),
            OrderTaxTotal: Texts(kept=("tax_class",)),
            OrderStatusChange: status_change,
            Payment: Texts(
                kept=("method", "currency", "provider", "provider_reference")
                + ("status",)
            ),
            Refund: Texts(
                erased=("reason",),
                kept=("reference", "provider_reference", "currency"),
            ),
            PaymentEvent: Texts(
                erased=("note",),
                kept=("kind", "from_status", "to_status", "provider_reference")
                + ("source",),
            ),
            TillMovement: Texts(erased=("reason",), kept=("kind",)),
            Return: Texts(
                erased=("note", "override_reason"),
                kept=("code", "status", "started_channel", "refund_method"),
            ),
            ReturnLine: Texts(
                erased=("note",), kept=("reason", "condition", "disposition")
            ),
            ReturnStatusChange: status_change,
            ReturnRefund: Texts(),
            StoreCreditTransaction: Texts(
                erased=("reason",), kept=("kind", "currency", "reference")
            ),
            # A gift card bought by the person: who it was for and the message go;
            # the card and its ledger stay (money still on it belongs to the bearer).
            GiftCard: Texts(
                erased=("recipient_email", "recipient_name", "message"),
                kept=("number", "pin_hash", "kind", "status", "currency"),
            ),
            GiftCardTransaction: Texts(
                erased=("reason",), kept=("kind", "currency", "reference")
            ),
            Cart: Texts(kept=("token", "channel", "status")),
            CartLine: Texts(erased=("counter_price_reason",)),
            DiscountRedemption: Texts(),
            TerminalIntent: Texts(
                erased=("sale",),
                kept=("reference", "idempotency_key", "currency", "provider")
                + ("provider_reference", "status", "message"),
            ),
            TerminalIntentEvent: Texts(
                erased=("note",), kept=("from_status", "to_status", "source")
            ),
            # An issued invoice is a tax document the seller must keep as issued
            # (ten years in Italy): the law that requires it outweighs erasure.
            Invoice: Texts(
                kept=("kind", "number", "currency", "lines", "vat")
                + ("seller_name", "seller_address", "seller_country")
                + ("seller_vat_number", "buyer_name", "buyer_company")
                + ("buyer_address", "buyer_country", "buyer_vat_number"),
            ),
        },
        export=export_order_sections,
        erase=erase_order_data,
        values=order_values,
    )
