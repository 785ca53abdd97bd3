"""What the orders app holds about a person, as export sections (the right of
access): orders with lines, addresses, payments and history, returns, invoices and
credit notes as issued, store credit, carts, discount codes used, and gift cards
bought or sent to an email they proved. ``orders.privacy`` registers them with the erasure."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from customers.models import CustomerIdentity, IdentityKind
from customers.selectors.export import iso
from orders.models import (
    Cart,
    CartLine,
    DiscountRedemption,
    Fulfilment,
    GiftCard,
    Invoice,
    Order,
    OrderLine,
    OrderStatusChange,
    Payment,
    Return,
    ReturnLine,
    ReturnRefund,
    ReturnStatusChange,
    StoreCreditTransaction,
)
from orders.selectors.orders import history_for_the_customer, notes_for_the_customer


def orders_of(customer_ids) -> QuerySet[Order]:
    return Order.objects.filter(customer_id__in=customer_ids)


def returns_of(customer_ids) -> QuerySet[Return]:
    """Returns of the person, and returns of their orders started without a profile."""
    return Return.objects.filter(
        Q(customer_id__in=customer_ids) | Q(order__customer_id__in=customer_ids)
    )


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


def _exportorders_of(customer_ids) -> list[dict[str, Any]]:
    orders = (
        orders_of(customer_ids)
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


def _exportreturns_of(customer_ids) -> list[dict[str, Any]]:
    returns = (
        returns_of(customer_ids)
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


def _export_invoices(customer_ids) -> list[dict[str, Any]]:
    """Invoices and credit notes issued to the person, the buyer as printed: the
    documents kept after an erasure, so the person can see them before."""
    invoices = (
        Invoice.objects.filter(
            Q(order__customer_id__in=customer_ids)
            | Q(return_request__customer_id__in=customer_ids)
        )
        .select_related("order", "credited_invoice")
        .order_by("issued_at", "id")
    )
    return [
        {
            "kind": i.kind,
            "number": i.number,
            "issued_at": iso(i.issued_at),
            "order": i.order.number,
            "credited_invoice": i.credited_invoice.number
            if i.credited_invoice_id
            else None,
            "buyer": {
                "name": i.buyer_name,
                "company": i.buyer_company,
                "address": i.buyer_address,
                "country": i.buyer_country,
                "vat_number": i.buyer_vat_number,
            },
            "currency": i.currency,
            "net": str(i.net),
            "tax": str(i.tax),
            "gross": str(i.gross),
        }
        for i in invoices
    ]


def _gift_card_row(card: GiftCard) -> dict[str, Any]:
    """A card as its buyer or recipient may read it: never its full number or PIN,
    which spend it."""
    return {
        "number": card.masked_number,
        "kind": card.kind,
        "amount": str(card.initial_amount),
        "currency": card.currency,
        "status": card.status,
        "recipient_name": card.recipient_name,
        "recipient_email": card.recipient_email,
        "sender_name": card.sender_name,
        "message": card.message,
        "send_on": iso(card.send_on),
        "sent": card.sent_at is not None,
        "sent_at": iso(card.sent_at),
    }


def gift_cards_sent_to(customer_ids) -> QuerySet[GiftCard]:
    """Gift cards others addressed to an email the person proved is theirs (any
    case): a verified email identity, proven by a code sent there or a password
    reset's link. An email only typed (at sign-up, at a checkout, to the associate
    at a counter) may be anyone's, and a card's message, amount and sender are its
    buyer's and its recipient's: cards sent there are neither exported to this
    person nor erased with them."""
    proven = CustomerIdentity.objects.filter(
        customer_id__in=customer_ids, kind=IdentityKind.EMAIL, verified=True
    ).values("value")
    return GiftCard.objects.annotate(to=Lower("recipient_email")).filter(to__in=proven)


def _export_gift_cards(customer_ids) -> dict[str, list[dict[str, Any]]]:
    """Cards the person bought, sent or not, and cards sent to an email they proved
    (``gift_cards_sent_to``); a card others bought for them is listed once sent, not
    before: it is its buyer's surprise until then."""
    bought = (
        GiftCard.objects.filter(order__customer_id__in=customer_ids)
        .select_related("order")
        .order_by("issued_at", "id")
    )
    received = (
        gift_cards_sent_to(customer_ids)
        .filter(sent_at__isnull=False)
        .order_by("sent_at", "id")
    )
    return {
        "gift_cards_bought": [
            {**_gift_card_row(card), "order": card.order.number} for card in bought
        ],
        "gift_cards_received": [_gift_card_row(card) for card in received],
    }


def export_order_sections(customer_ids: tuple[int, ...]) -> dict[str, Any]:
    return {
        "orders": _exportorders_of(customer_ids),
        "returns": _exportreturns_of(customer_ids),
        "invoices": _export_invoices(customer_ids),
        "store_credit": _export_store_credit(customer_ids),
        "carts": _export_carts(customer_ids),
        "discount_codes_used": _export_discounts(customer_ids),
        **_export_gift_cards(customer_ids),
    }
