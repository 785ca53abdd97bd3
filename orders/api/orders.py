"""The signed-in customer's orders from every channel: list, detail, cancel."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from omnistore.core.api import ErrorSerializer, TextField
from orders.carriers import Carrier, carrier_name
from orders.models import FulfilmentStatus, GiftCardKind, OrderStatus
from orders.pricing import TaxedAmount, order_delivery, tax_totals
from orders.selectors.giftcards import CARD_STATUS_LABELS, gift_cards_sold
from orders.selectors.invoices import order_invoices
from orders.selectors.orders import (
    cancelled_part_ids,
    customer_orders,
    history_for_the_customer,
    order_by_id,
    order_detail,
)
from orders.services.fulfilment import cancel_order

from .common import ERRORS, request_customer
from .filters import OrderFilter
from .invoices import InvoiceOutput


class LocationRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class OrderLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    variant = serializers.IntegerField(source="variant_id")
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="The price each unit sold at, VAT included: the shelf price, or "
        "the price a shop set at its counter (`shelf_price` then says the shelf's).",
    )
    shelf_price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        help_text="The shelf price, VAT included, of a line a shop sold at a price "
        "set at its counter; null for a line sold at the shelf price.",
    )
    discount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="The line's share of the order discount, VAT included.",
    )
    line_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="What the line costs: unit price × quantity − discount (gross).",
    )
    tax_class = serializers.CharField(help_text="The product's tax class as sold.")
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="VAT rate as sold, in percent."
    )
    net = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The line total without VAT."
    )
    tax = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The VAT in the line total."
    )
    gross = serializers.DecimalField(
        source="line_total",
        max_digits=12,
        decimal_places=2,
        help_text="net + tax, equal to line_total.",
    )


class OrderDetailLineOutput(OrderLineOutput):
    cancelled = serializers.BooleanField(
        help_text="The line's part of a split delivery was cancelled before it "
        "left (the other parcels had): sold, then never sent and refunded whole "
        "(under `payments[].refunds`); its amounts, like the order's `total`, stay "
        "as sold. False on a cancelled order (`cancelled_at`), cancelled whole.",
    )


class GiftCardSoldOutput(serializers.Serializer):
    """A gift card the order sold: no order line and no VAT (VAT is due when the
    card is spent), so it is listed apart from `lines`."""

    last4 = serializers.CharField(
        help_text="The card number's last four digits; the full number and the PIN "
        "are never shown."
    )
    amount = serializers.DecimalField(
        source="initial_amount",
        max_digits=12,
        decimal_places=2,
        help_text="What the card was sold and loaded for (in the order's total).",
    )
    currency = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=GiftCardKind.choices,
        help_text="`physical`: a card sold at a counter; `digital`: an e-gift card "
        "emailed to its recipient.",
    )
    recipient_name = serializers.CharField(
        help_text="Whom an e-gift card is for, as the buyer named them (may be "
        "empty); empty for a physical card."
    )
    send_on = serializers.DateField(
        allow_null=True,
        help_text="The day an e-gift card is emailed to its recipient, while it is "
        "`active` (a card voided before that day is never sent); null for a "
        "physical card.",
    )
    status = serializers.ChoiceField(
        source="status_now",
        choices=list(CARD_STATUS_LABELS),
        help_text="What the card is now: `active` (it pays), `void` (voided: it "
        "holds nothing and is not emailed), or `expired` once past its date.",
    )


class TaxTotalOutput(serializers.Serializer):
    tax_class = serializers.CharField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    gross = serializers.DecimalField(max_digits=12, decimal_places=2)


class FulfilmentOutput(serializers.Serializer):
    """A part of the order; a delivery's part that left is a parcel, followed with
    its carrier and tracking number."""

    method = serializers.CharField()
    status = serializers.ChoiceField(choices=FulfilmentStatus.choices)
    location = LocationRef()
    pickup_location = LocationRef(allow_null=True)
    ready_date = serializers.DateField(allow_null=True)
    address = serializers.JSONField(
        help_text="Where a delivery part goes (`name`, `line1`, `line2`, `city`, "
        "`postcode`, `country`, `phone`); empty for a pickup. The customer changes "
        "it until the order is picked (`POST orders/{number}/address/`), the shop "
        "until the part leaves."
    )
    carrier = serializers.ChoiceField(
        choices=[("", ""), *Carrier.choices],
        help_text="Who carries the parcel (empty until it leaves, or when not given).",
    )
    carrier_name = serializers.SerializerMethodField(
        help_text="The carrier as the customer reads it; empty for `other` or none."
    )
    tracking_reference = serializers.CharField(help_text="The tracking number.")
    tracking_url = serializers.CharField(
        help_text="The carrier's tracking page for this parcel; empty without a "
        "known carrier or a tracking number."
    )

    def get_carrier_name(self, part) -> str:
        return carrier_name(part.carrier)


_TAX_TOTALS = TaxTotalOutput(many=True)
_GIFT_CARDS = GiftCardSoldOutput(many=True)
_DETAIL_LINES = OrderDetailLineOutput(many=True)


class RefundOutput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    given_as = serializers.CharField(
        help_text="Where the money went, a payment method: the payment's own, or "
        "`store_credit` when the payment could no longer take it back (a gift card "
        "void or past its date).",
    )
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class PaymentOutput(serializers.Serializer):
    method = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    refunded_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.CharField()
    refunds = RefundOutput(many=True)
    created_at = serializers.DateTimeField()


class StatusChangeOutput(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField(source="customer_note")


_HISTORY = StatusChangeOutput(many=True)


class OrderSummaryOutput(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    channel = serializers.CharField()
    fulfilment_method = serializers.CharField()
    placing_location = LocationRef(allow_null=True)
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    delivery_fee = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="What delivery cost, VAT included (in the total; 0 when it "
        "travelled free).",
    )
    total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What was paid, VAT included."
    )
    net_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The total without VAT."
    )
    tax_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The VAT in the total."
    )
    tax_country = serializers.CharField(
        help_text="Whose VAT applies: the shop's country for a counter sale or "
        "pickup, the destination's for a delivery."
    )
    created_at = serializers.DateTimeField()
    lines = OrderLineOutput(many=True)


class OrderDetailOutput(OrderSummaryOutput):
    email = serializers.CharField()
    phone = serializers.CharField()
    discount_code = serializers.CharField()
    pickup_code = serializers.SerializerMethodField()
    pickup_expires_at = serializers.DateTimeField(allow_null=True)
    ready_at = serializers.DateTimeField(allow_null=True)
    collected_at = serializers.DateTimeField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When a delivery reached the customer, as the shop said (a day "
        "given: its last moment) or as presumed days after it shipped; its points "
        "can be spent and its return window counts from then. Null until delivered.",
    )
    cancelled_at = serializers.DateTimeField(allow_null=True)
    can_cancel = serializers.BooleanField(source="is_cancellable_by_customer")
    lines = serializers.SerializerMethodField(
        help_text="The lines as sold; those of a part cancelled before it left are "
        "marked `cancelled`."
    )
    tax_totals = serializers.SerializerMethodField(
        help_text="VAT per rate and class, highest rate first: the sums of the lines "
        "and the delivery (as the order's stored totals are)."
    )
    gift_cards = serializers.SerializerMethodField(
        help_text="The gift cards the order sold, first sold first; empty for an "
        "order of goods only. A card is no line: the lines' `line_total`s (their "
        "discount taken off), these cards' `amount`s and `delivery_fee` add up to "
        "`total`."
    )
    fulfilments = FulfilmentOutput(many=True)
    payments = PaymentOutput(many=True)
    history = serializers.SerializerMethodField(
        help_text="As the customer reads it: associates named by first name and "
        "initial."
    )

    @extend_schema_field(OrderDetailLineOutput(many=True))
    def get_lines(self, order) -> list[dict]:
        """Each line with whether its part was cancelled (``cancelled_part_ids``),
        from the parts already loaded: no query of its own."""
        gone = cancelled_part_ids(order)
        lines = list(order.lines.all())
        for line in lines:
            line.cancelled = line.fulfilment_id in gone
        return _DETAIL_LINES.to_representation(lines)

    @extend_schema_field(StatusChangeOutput(many=True))
    def get_history(self, order) -> list[dict]:
        history = history_for_the_customer([order])[order.pk]
        return _HISTORY.to_representation(history)

    @extend_schema_field(GiftCardSoldOutput(many=True))
    def get_gift_cards(self, order) -> list[dict]:
        """``gift_cards_sold``: no query for an order of goods alone."""
        return _GIFT_CARDS.to_representation(gift_cards_sold(order))

    @extend_schema_field(TaxTotalOutput(many=True))
    def get_tax_totals(self, order) -> list[dict]:
        """From the lines already loaded (and the delivery, taxed like them): no
        query of its own."""
        lines = order.lines.all()
        amounts = [
            TaxedAmount(
                line.tax_class, line.tax_rate, line.line_total, line.net, line.tax
            )
            for line in lines
        ]
        delivery = order_delivery(order.delivery_fee, lines)
        if delivery is not None:
            amounts.append(delivery)
        return _TAX_TOTALS.to_representation(tax_totals(amounts))

    def get_pickup_code(self, order) -> str | None:
        """Shown while the order waits at the desk; the QR carries the same code."""
        return order.pickup_code if order.status == OrderStatus.READY else None


class OrderWithInvoicesOutput(OrderDetailOutput):
    invoices = InvoiceOutput(
        many=True,
        source="invoice_list",
        help_text="Invoice and credit notes issued for this order, with their PDFs.",
    )


class CancelInput(serializers.Serializer):
    reason = TextField(max_length=200, required=False, allow_blank=True)


# The cart after an add and the order just placed are the storefront's busiest
# responses. They are rendered with the shapes above (which stay the documented
# schema), without building a serializer per request: DRF deep-copies every declared
# field of every nested serializer for each instance, a large share of a checkout's
# time. Tests compare both renderings of the same objects.

_ORDER_DETAIL = OrderDetailOutput()  # stateless: no context, fields bound once


def order_detail_data(order) -> dict:
    """``OrderDetailOutput(order).data``, through one serializer kept for the process
    (its ``to_representation`` keeps no state between orders)."""
    return _ORDER_DETAIL.to_representation(order)


class OrderListView(generics.ListAPIView):
    """The signed-in customer's orders from every channel, shop purchases included,
    narrowed by channel, status and the days they were placed."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSummaryOutput
    filterset_class = OrderFilter

    def get_queryset(self):
        return customer_orders(request_customer(self.request))


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_retrieve",
        responses={200: OrderWithInvoicesOutput, **ERRORS},
    )
    def get(self, request, number: str):
        order = order_detail(number=number, customer=request_customer(request))
        order.invoice_list = list(order_invoices(order))
        return Response(
            OrderWithInvoicesOutput(order, context={"request": request}).data
        )


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_cancel",
        request=CancelInput,
        responses={
            200: OrderDetailOutput,
            400: ERRORS[400],
            404: OpenApiResponse(
                ErrorSerializer,
                description="No order of yours has this number (`not_found`), or "
                "the login is a staff login (`staff_login`)",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="It cannot be cancelled any more: picked, ready, "
                "shipped, handed over or already cancelled (`illegal_transition`, "
                "`extra.from` and `extra.to` the statuses); or it was paid in cash at "
                "a shop and is cancelled there, where the till gives the cash back "
                "(`cancel_at_shop`)",
            ),
            503: OpenApiResponse(
                ErrorSerializer,
                description="The payment provider did not answer the refund "
                "(`payment_unavailable`), or the service is down for a moment "
                "(`busy`, `database_unavailable`, `temporarily_unavailable`): the "
                "order stays as it was; retry after `Retry-After` seconds",
            ),
        },
    )
    def post(self, request, number: str):
        """Cancel an order that has not been picked yet; the payment is refunded."""
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_detail(number=number, customer=request_customer(request))
        cancel_order(
            order=order,
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
            by_customer=True,
        )
        return Response(OrderDetailOutput(order_by_id(order.pk)).data)
