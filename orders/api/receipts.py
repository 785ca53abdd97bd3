"""The receipt of a customer's own order (or return) as data: the same receipt the
shop prints and the email shows."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from omnistore.core.exceptions import ValidationFailed
from orders.selectors.receipts import (
    ReceiptKind,
    find_order_for_receipt,
    order_receipt,
    return_receipt,
)

from .common import ERRORS, request_customer

MONEY = {"max_digits": 12, "decimal_places": 2}


class PartyOutput(serializers.Serializer):
    name = serializers.CharField()
    address = serializers.CharField()
    vat_number = serializers.CharField(help_text="As printed (CHE-116.281.710 MWST).")


class ReceiptLineOutput(serializers.Serializer):
    name = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Gross; null on a gift receipt."
    )
    discount = serializers.DecimalField(**MONEY, allow_null=True)
    total = serializers.DecimalField(**MONEY, allow_null=True)
    rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="VAT percent."
    )
    shelf_price = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text="The shelf price (gross) of a line sold at a price set at the "
        "counter; null otherwise and on a gift receipt.",
    )
    quantity_cancelled = serializers.IntegerField(
        help_text="Of `quantity`, the units in parts of a split delivery cancelled "
        "before they left (the other parcels had): sold, then never sent and given "
        "back (under `refunds`); the line and the total stay as sold. 0 for none, "
        "and on a cancelled order (`cancelled_at`).",
    )


class VatRowOutput(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    gross = serializers.DecimalField(**MONEY)


class TenderOutput(serializers.Serializer):
    method = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class RefundTenderOutput(TenderOutput):
    method = serializers.CharField(
        help_text="Where the money went, a payment method (`cash`, `card_in_store`, "
        "`gift_card`, ...): the payment's own, or `store_credit` (a return's store "
        "credit, or a payment that could no longer take it back: a gift card void "
        "or past its date). On an exchange receipt, what the return gave back "
        "besides the new items: points, money, the store credit left.",
    )
    valid_until = serializers.DateField(
        allow_null=True,
        help_text="Store credit given back: the last day it can be spent (null: "
        "it never expires, or the refund is not store credit).",
    )


class ReceiptPartOutput(serializers.Serializer):
    lines = ReceiptLineOutput(many=True)
    total = serializers.DecimalField(**MONEY, allow_null=True)
    discount = serializers.DecimalField(**MONEY, allow_null=True)
    vat = VatRowOutput(many=True, help_text="Net, VAT and gross per rate.")


class ReceiptOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReceiptKind.CHOICES)
    title = serializers.CharField()
    reference = serializers.CharField(help_text="Order number, or return code.")
    order_number = serializers.CharField()
    issued_at = serializers.DateTimeField()
    currency = serializers.CharField()
    seller = PartyOutput(allow_null=True, help_text="The legal entity that sold.")
    shop = PartyOutput(allow_null=True)
    served_by = serializers.CharField()
    customer = serializers.CharField()
    sold = ReceiptPartOutput(allow_null=True)
    returned = ReceiptPartOutput(
        allow_null=True, help_text="What came back (a return or an exchange)."
    )
    tenders = TenderOutput(many=True)
    refunds = RefundTenderOutput(
        many=True,
        help_text="Money given back: a return's refunds; on an order's receipt, what "
        "its payments gave back when it was cancelled or when parts of it were "
        "cancelled before they left (`quantity_cancelled`) — not its returns' "
        "refunds, which are on each return's receipt; or "
        "what an exchange's return gave back besides the new items (returned value "
        "= store credit tender + these). The refund receipt of a return that paid an "
        "exchange lists what it gave back besides paying the new order (returned "
        "value = `exchange_paid` + these).",
    )
    cash_tendered = serializers.DecimalField(**MONEY, allow_null=True)
    change = serializers.DecimalField(**MONEY, allow_null=True)
    rounding = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text="The cash paid or given back was handed over in the drawer's "
        "smallest coin (francs: 0.05): what it differs from the exact amount by "
        "(-0.01: 0.01 less); null when it was not rounded.",
    )
    return_code = serializers.CharField()
    cancelled_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The order was cancelled then: its payments given back are under "
        "`refunds`.",
    )
    exchange_order_number = serializers.CharField(
        help_text="A refund receipt of a return that paid an exchange: the new "
        'order it paid; "" otherwise.',
    )
    exchange_paid = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text="A refund receipt of a return that paid an exchange: the store "
        "credit from it that the new order spent (not given back); null otherwise.",
    )


KIND = OpenApiParameter(
    "kind",
    OpenApiTypes.STR,
    enum=["sale", "gift"],
    description="`gift`: the gift receipt, without any amount.",
)


class OrderReceiptView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_receipt",
        parameters=[KIND],
        responses={200: ReceiptOutput, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request, number: str):
        """The receipt of one of my orders: seller and shop, lines, VAT per rate,
        tenders and change, who served; an order paid by an exchange shows what
        came back too. What it gave back on its cancellation, or on cancelling the
        parts that had not left (their lines' `quantity_cancelled`), is under
        `refunds`."""
        kind = request.query_params.get("kind", "sale")
        if kind not in ("sale", "gift"):
            raise ValidationFailed(
                "Unknown receipt kind.", extra={"kind": ["Use sale or gift."]}
            )
        order = find_order_for_receipt(
            number=number, customer=request_customer(request)
        )
        receipt = order_receipt(order, gift=kind == "gift")
        return Response(ReceiptOutput(receipt).data)


class ReturnReceiptView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="return_receipt",
        responses={
            200: ReceiptOutput,
            404: ERRORS[404],
            409: OpenApiResponse(
                description="`return_not_refunded`: one of my returns, not refunded "
                "yet (its receipt comes with the refund)"
            ),
        },
    )
    def get(self, request, code: str):
        """The refund receipt of one of my returns, once it is refunded."""
        receipt = return_receipt(code=code, customer=request_customer(request))
        return Response(ReceiptOutput(receipt).data)
