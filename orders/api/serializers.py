"""Input and output shapes of the storefront cart, checkout and order endpoints."""

from __future__ import annotations

from rest_framework import serializers

from omnistore.core.api import InputSerializer
from omnistore.core.channels import Channel
from orders.models import FulfilmentMethod, OrderStatus, PaymentMethod

# --- input ---------------------------------------------------------------------------


class CartLineInput(InputSerializer):
    variant = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class CartLinesInput(InputSerializer):
    """One line (``variant``, ``quantity``) or several (``lines``)."""

    variant = serializers.IntegerField(min_value=1, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)
    lines = CartLineInput(many=True, required=False)

    def validate(self, data):
        lines = data.get("lines")
        if lines is None:
            if "variant" not in data:
                raise serializers.ValidationError(
                    {"variant": ["This field is required."]}
                )
            lines = [{"variant": data["variant"], "quantity": data["quantity"]}]
        if not lines:
            raise serializers.ValidationError({"lines": ["Add at least one item."]})
        return {"lines": [(line["variant"], line["quantity"]) for line in lines]}


class CartLineUpdateInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=99)


class AddressInput(InputSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=250)
    line2 = serializers.CharField(max_length=250, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    postcode = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=2, min_length=2, default="IT")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    latitude = serializers.FloatField(
        required=False, min_value=-90, max_value=90, allow_null=True
    )
    longitude = serializers.FloatField(
        required=False, min_value=-180, max_value=180, allow_null=True
    )


class PaymentInput(InputSerializer):
    method = serializers.ChoiceField(
        choices=[
            PaymentMethod.CARD_ONLINE,
            PaymentMethod.GIFT_CARD,
            PaymentMethod.MOBILE_WALLET,
        ],
        default=PaymentMethod.CARD_ONLINE,
    )
    token = serializers.CharField(max_length=200, allow_blank=True, default="")


class CheckoutInput(InputSerializer):
    fulfilment = serializers.ChoiceField(
        choices=[FulfilmentMethod.DELIVERY, FulfilmentMethod.PICKUP]
    )
    store = serializers.IntegerField(min_value=1, required=False)
    address = AddressInput(required=False)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default=""
    )
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    payment = PaymentInput()
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.APP], default=Channel.WEB
    )
    discount_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="Discount code; refused with a 400 on `discount_code` when it cannot "
        "be used, a 409 when its last use went to another order meanwhile.",
    )

    def validate(self, data):
        errors = {}
        if data["fulfilment"] == FulfilmentMethod.PICKUP and not data.get("store"):
            errors["store"] = ["Choose the shop to collect from."]
        if data["fulfilment"] == FulfilmentMethod.DELIVERY and not data.get("address"):
            errors["address"] = ["A delivery address is required."]
        user = self.context.get("user")
        anonymous = user is None or not user.is_authenticated
        if anonymous and not (data.get("email") or data.get("phone")):
            errors["email"] = ["Give an email address or a phone number."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


# --- output --------------------------------------------------------------------------


class LocationRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class CartLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    variant = serializers.IntegerField(source="variant_id")
    sku = serializers.CharField(source="variant.sku")
    name = serializers.CharField(source="variant.name")
    unit_price = serializers.DecimalField(
        source="variant.price", max_digits=10, decimal_places=2
    )
    quantity = serializers.IntegerField()
    line_total = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()
    availability = serializers.SerializerMethodField()

    def _stock(self, line) -> dict:
        return self.context["availability"].get(line.variant_id, {})

    def get_line_total(self, line) -> str:
        return str(line.variant.price * line.quantity)

    def get_available(self, line) -> int:
        return _available(self._stock(line), self.context.get("fulfilment"))

    def get_availability(self, line) -> str:
        """``in_stock``; ``ships_to_store`` (pickup, comes from elsewhere, later);
        ``short`` (not enough anywhere for this fulfilment)."""
        return _availability(
            self._stock(line), self.context.get("fulfilment"), line.quantity
        )


def _available(stock: dict, fulfilment) -> int:
    if fulfilment == FulfilmentMethod.PICKUP:
        return stock.get("at_store", 0)
    return stock.get("online", 0)


def _availability(stock: dict, fulfilment, quantity: int) -> str:
    if fulfilment == FulfilmentMethod.PICKUP:
        if stock.get("at_store", 0) >= quantity:
            return "in_stock"
        if stock.get("online", 0) >= quantity:
            return "ships_to_store"
        return "short"
    return "in_stock" if stock.get("online", 0) >= quantity else "short"


class CartOutput(serializers.Serializer):
    token = serializers.CharField()
    status = serializers.CharField()
    channel = serializers.CharField()
    currency = serializers.CharField()
    fulfilment = serializers.CharField()
    store = serializers.IntegerField(allow_null=True)
    lines = CartLineOutput(many=True)
    item_count = serializers.IntegerField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_code = serializers.CharField(
        required=False, help_text="The code previewed (with ?discount_code=)."
    )
    discount_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="What the previewed code takes off the subtotal.",
    )
    total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="Subtotal after the previewed code.",
    )
    updated_at = serializers.DateTimeField()


class OrderLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    variant = serializers.IntegerField(source="variant_id")
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    discount = serializers.DecimalField(max_digits=10, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)


class FulfilmentOutput(serializers.Serializer):
    method = serializers.CharField()
    status = serializers.CharField()
    location = LocationRef()
    pickup_location = LocationRef(allow_null=True)
    ready_date = serializers.DateField(allow_null=True)
    address = serializers.JSONField()
    tracking_reference = serializers.CharField()


class RefundOutput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
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
    note = serializers.CharField()


class OrderSummaryOutput(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    channel = serializers.CharField()
    fulfilment_method = serializers.CharField()
    placing_location = LocationRef(allow_null=True)
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
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
    cancelled_at = serializers.DateTimeField(allow_null=True)
    can_cancel = serializers.BooleanField(source="is_cancellable_by_customer")
    fulfilments = FulfilmentOutput(many=True)
    payments = PaymentOutput(many=True)
    history = StatusChangeOutput(many=True)

    def get_pickup_code(self, order) -> str | None:
        """Shown while the order waits at the desk; the QR carries the same code."""
        return order.pickup_code if order.status == OrderStatus.READY else None


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


# --- hot responses -------------------------------------------------------------------
#
# The cart after an add and the order just placed are the storefront's busiest
# responses. They are rendered with the shapes above (which stay the documented
# schema), without building a serializer per request: DRF deep-copies every declared
# field of every nested serializer for each instance, a large share of a checkout's
# time. Tests compare both renderings of the same objects.

_UNIT_PRICE = CartLineOutput().fields["unit_price"]
_ORDER_DETAIL = OrderDetailOutput()  # stateless: no context, fields bound once


def cart_lines_data(lines, *, availability: dict, fulfilment) -> list[dict]:
    """``CartLineOutput(lines, many=True)`` for a cart's lines."""
    rows = []
    for line in lines:
        variant = line.variant
        stock = availability.get(line.variant_id, {})
        rows.append(
            {
                "id": line.id,
                "variant": line.variant_id,
                "sku": str(variant.sku),
                "name": str(variant.name),
                "unit_price": _UNIT_PRICE.to_representation(variant.price),
                "quantity": line.quantity,
                "line_total": str(variant.price * line.quantity),
                "available": _available(stock, fulfilment),
                "availability": _availability(stock, fulfilment, line.quantity),
            }
        )
    return rows


def order_detail_data(order) -> dict:
    """``OrderDetailOutput(order).data``, through one serializer kept for the process
    (its ``to_representation`` keeps no state between orders)."""
    return _ORDER_DETAIL.to_representation(order)
