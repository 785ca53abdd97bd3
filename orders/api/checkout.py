"""Storefront checkout: the cart becomes an order, delivered or collected at a shop."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.common import CLIENT_CHANNEL, request_channel
from customers.selectors.addresses import delivery_address
from omnistore.core.api import MAX_ID, InputSerializer, NumberField, TextField
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ApplicationError
from orders.models import FulfilmentMethod, PaymentMethod
from orders.services.checkout import CheckoutRequest, LineRequest
from orders.services.payment_intents import (
    purchase_of,
    requester_cart,
    storefront_payment,
)
from orders.services.payment_release import giving_back_when_refused
from orders.services.payments import PaymentRequest
from orders.services.storefront import buy_now, place_cart_order

from .carts import CartLineInput
from .common import CART_TOKEN, ERRORS, caller_ident, cart_token, request_customer
from .orders import OrderDetailOutput, order_detail_data


class AddressInput(InputSerializer):
    """A delivery address. Each text is kept on one line (line breaks and tabs
    become one space); one holding a control character or an invisible format
    character (a zero-width space, a byte order mark, a soft hyphen) is a 400 on
    that field. The joiners and direction marks scripts need are kept; direction
    overrides are dropped as the request is read."""

    name = TextField(max_length=200, required=False, allow_blank=True)
    line1 = TextField(max_length=250)
    line2 = TextField(max_length=250, required=False, allow_blank=True)
    city = TextField(max_length=100)
    postcode = TextField(max_length=20)
    country = TextField(max_length=2, min_length=2, default="IT")
    phone = TextField(max_length=30, required=False, allow_blank=True)
    latitude = NumberField(required=False, min_value=-90, max_value=90, allow_null=True)
    longitude = NumberField(
        required=False, min_value=-180, max_value=180, allow_null=True
    )


CARD_TOKEN_HELP = (
    "The payment confirmed with the provider (the `id` of "
    "`POST /checkout/payment-intent/` sent the same body; for a buy now, with its "
    "`lines`). Required whenever the card pays something: without it, a 400 "
    "`payment_token_required` on `payment.token`, nothing charged."
)


class PaymentInput(InputSerializer):
    method = serializers.ChoiceField(
        choices=[PaymentMethod.CARD_ONLINE, PaymentMethod.MOBILE_WALLET],
        default=PaymentMethod.CARD_ONLINE,
        help_text="Pays what the `tenders` leave; not charged when they pay it all.",
    )
    token = TextField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text=CARD_TOKEN_HELP,
    )


GIVEN_BACK = (
    " A card payment confirmed for this purchase that it refuses with a 402 or 409 "
    "is given back (a hold released, a payment refunded; the `message` says so): "
    "start a new one."
)


def purchase_reference() -> TextField:
    """The ``payment.reference`` of a purchase without a cart."""
    return TextField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The `reference` `POST /checkout/payment-intent/` answered with "
        "the intent's `id`: a purchase without a cart is paid only by the intent "
        "made for it. Required with the Stripe provider (400 "
        "`payment_reference_required`; another intent's is a 402 "
        "`payment_not_for_this_purchase`).",
    )


class PurchasePaymentInput(PaymentInput):
    reference = purchase_reference()


TENDER_TYPES = {
    "gift_card": PaymentMethod.GIFT_CARD,
    "store_credit": PaymentMethod.STORE_CREDIT,
    "points": PaymentMethod.LOYALTY_POINTS,
}


class TenderInput(InputSerializer):
    """One stored-value tender: a gift card (number, PIN, amount), store credit
    (amount) or loyalty points (points); store credit and points need a signed-in
    customer."""

    type = serializers.ChoiceField(choices=list(TENDER_TYPES))
    number = TextField(max_length=32, required=False, help_text="Gift card number.")
    pin = TextField(max_length=8, required=False, help_text="Gift card PIN.")
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="What this tender pays (gift card, store credit).",
    )
    points = serializers.IntegerField(
        min_value=1, max_value=10**9, required=False, help_text="Points to spend."
    )

    def validate(self, data):
        kind, errors = data["type"], {}
        if kind == "gift_card":
            for name in ("number", "pin", "amount"):
                if not data.get(name):
                    errors[name] = ["Required for a gift card."]
        elif kind == "store_credit" and not data.get("amount"):
            errors["amount"] = ["Required for store credit."]
        elif kind == "points" and not data.get("points"):
            errors["points"] = ["Required for points."]
        if errors:
            raise serializers.ValidationError(errors)
        return data

    @staticmethod
    def request(data) -> PaymentRequest:
        kind = data["type"]
        return PaymentRequest(
            method=TENDER_TYPES[kind],
            amount=None if kind == "points" else data["amount"],
            card_number=data.get("number", ""),
            pin=data.get("pin", ""),
            points=data.get("points", 0) if kind == "points" else 0,
        )


class CheckoutInput(InputSerializer):
    fulfilment = serializers.ChoiceField(
        choices=[FulfilmentMethod.DELIVERY, FulfilmentMethod.PICKUP]
    )
    store = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    address = AddressInput(
        required=False,
        help_text="Where a delivery goes, typed; or send `address_id` instead.",
    )
    address_id = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="A delivery to one of the signed-in customer's saved addresses "
        "(`GET /me/addresses/`), instead of `address`: the order keeps its own copy, "
        "so changing or removing the saved address later leaves the order as it "
        "was. Sending both, or not signed in, or an id that is not one of yours, is "
        "a 400 on `address_id`, as is a saved address checkout cannot deliver to "
        "(`unknown_country`: no market sells to its country; or a field saved "
        "holding a control or invisible character): the message says to correct "
        "the saved address, each entry names its field at fault.",
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = TextField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="The buyer's phone, signed in or not: the order keeps it in E.164 "
        "(a national number read in the pickup shop's country, else the delivery "
        "address's); one that reads as no number is a 400 on `phone`.",
    )
    first_name = TextField(max_length=100, required=False, allow_blank=True)
    last_name = TextField(max_length=100, required=False, allow_blank=True)
    payment = PaymentInput()
    tenders = TenderInput(
        many=True,
        required=False,
        max_length=5,
        help_text="Gift cards, store credit and points, taken first; the `payment` "
        "pays the rest. Refused as a whole with a 400 naming the tender: "
        "`extra.tenders` holds one entry per tender sent, `{}` for the others and "
        "the refusal's messages (`non_field_errors`) at the one refused; tenders "
        "paying more than the order are refused on `payment`. One gift card (or "
        "the store credit, or the points) given in several tenders is checked for "
        "all they ask together: the refusal says what it holds and the total asked.",
    )
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.APP],
        required=False,
        help_text="Where the order is placed; not sent, the client's: `app` with the "
        "header `X-Client-Channel: app`, else `web`.",
    )
    discount_code = TextField(
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
        user = self.context.get("user")
        anonymous = user is None or not user.is_authenticated
        if data["fulfilment"] == FulfilmentMethod.DELIVERY:
            errors.update(_delivery_address_errors(data, anonymous=anonymous))
        if anonymous and not (data.get("email") or data.get("phone")):
            errors["email"] = ["Give an email address or a phone number."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


def _delivery_address_errors(data: dict, *, anonymous: bool) -> dict:
    """A delivery names its address once: typed (``address``) or saved
    (``address_id``, for a signed-in customer)."""
    if "address_id" not in data:
        return (
            {}
            if data.get("address")
            else {"address": ["A delivery address is required."]}
        )
    if data.get("address"):
        return {"address_id": ["Send either `address` or `address_id`, not both."]}
    if anonymous:
        return {"address_id": ["Sign in to use a saved address."]}
    return {}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Repeat a request safely: the same key with the same request answers "
        "what the first one made. At most 100 characters."
    ),
)


def replayed_header(description: str) -> OpenApiParameter:
    """The ``Idempotent-Replayed`` response header of a request answered again."""
    return OpenApiParameter(
        "Idempotent-Replayed",
        {"type": "string", "enum": ["true"]},
        OpenApiParameter.HEADER,
        description=description,
        response=[200],
    )


IDEMPOTENT_REPLAYED = replayed_header(
    "Sent (`true`) on the 200 that answers a repeated `Idempotency-Key`: the "
    "body is what the first request made, nothing was done again."
)
REPLAYED = (
    "A repeated `Idempotency-Key`: what the first request made, with the header "
    "`Idempotent-Replayed: true`."
)


class CheckoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="checkout",
        request=CheckoutInput,
        parameters=[CART_TOKEN, CLIENT_CHANNEL, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        responses={
            201: OrderDetailOutput,
            200: OpenApiResponse(OrderDetailOutput, description=REPLAYED),
            402: OpenApiResponse(description="Payment declined." + GIVEN_BACK),
            **ERRORS,
            409: OpenApiResponse(
                description="Out of stock (`insufficient_stock`) or no longer sold "
                "(`not_for_sale`), each line named in extra.lines; closed cart; the "
                "Idempotency-Key used for another request, another cart included "
                "(`idempotency_key_reused`); or the discount code's last use went "
                "to another order (extra.discount_code); or the cart filled before "
                "signing in did not all fit in the customer's (`cart_not_merged`, "
                "extra.not_merged; the cart now holds what fits: check out again)."
                + GIVEN_BACK
            ),
        },
    )
    def post(self, request):
        """Turn the cart into an order: delivery to an address or pickup at a shop.
        A delivery pays its market's delivery fee unless the goods reach the market's
        free-delivery threshold or the signed-in customer's tier travels free; the
        card pays what stored-value tenders leave of the total, fee included (the
        cart shows both before: ``GET /cart/?fulfilment=delivery``)."""
        data = CheckoutInput(data=request.data, context={"user": request.user})
        data.is_valid(raise_exception=True)
        paid = _paid_checkout(request, data.validated_data)
        token, customer = cart_token(request), paid["customer"]
        with (
            saved_address_named(data.validated_data),
            _giving_back(paid, requester_cart(customer=customer, token=token)),
        ):
            order = place_cart_order(token=token, **paid)
        return order_response(order)


def checkout_request(request, data: dict) -> CheckoutRequest:
    """The checkout asked for by validated ``CheckoutInput`` data and the request's
    ``Idempotency-Key``; on the channel the body names, else the client's."""
    return CheckoutRequest(
        channel=data.get("channel") or request_channel(request),
        fulfilment=data["fulfilment"],
        pickup_store=data.get("store"),
        address=_delivery_address(request, data),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        discount_code=data.get("discount_code", ""),
        idempotency_key=request.headers.get("Idempotency-Key", "").strip(),
    )


def _delivery_address(request, data: dict) -> dict | None:
    """The address typed, or a copy of the saved one ``address_id`` names (read only
    when sent, so a checkout with a typed address costs no more)."""
    if data["fulfilment"] == FulfilmentMethod.DELIVERY and "address_id" in data:
        return delivery_address(request_customer(request), data["address_id"])
    return data.get("address")


SAVED_ADDRESS_REFUSED = (
    "Correct your saved address first (or choose another): checkout cannot "
    "deliver to it as it is saved."
)


@contextmanager
def saved_address_named(data: dict) -> Iterator[None]:
    """A saved address checkout refuses (a country no market sells to, a field too
    long, or holding a control or invisible character, saved before the address
    book refused them) is refused on ``address_id``, the field the request sent,
    each message prefixed with the address's field at fault, and says to correct
    the saved address: the request sent no ``address``."""
    try:
        yield
    except ApplicationError as refused:
        errors = refused.extra.get("address")
        if "address_id" in data and isinstance(errors, dict):
            refused.message = SAVED_ADDRESS_REFUSED
            extra = {k: v for k, v in refused.extra.items() if k != "address"}
            extra["address_id"] = [
                f"{field}: {message}"
                for field, messages in errors.items()
                for message in (messages if isinstance(messages, list) else [messages])
            ]
            refused.extra = extra
        raise


def _paid_checkout(request, data: dict) -> dict:
    """What a cart checkout and a buy-now share: who buys, the checkout asked for,
    the payment (a buy-now's with the `reference` of its intent), the stored value
    tendered and who calls (for the gift card PIN lockout)."""
    checkout = checkout_request(request, data)
    return {
        "customer": request_customer(request),
        "checkout": checkout,
        "payment": storefront_payment(
            method=data["payment"]["method"],
            token=data["payment"]["token"],
            reference=data["payment"].get("reference"),
            channel=checkout.channel,
        ),
        "tenders": [TenderInput.request(t) for t in data.get("tenders", [])],
        "caller": caller_ident(request),
    }


def giving_back(*, payment, customer, channel, belongs, what: str):
    """The card ``payment`` of a refused purchase (``what``) given back
    (``giving_back_when_refused``) when made for it (``belongs``)."""
    who = f"customer {customer.pk}" if customer is not None else "a guest"
    return giving_back_when_refused(
        payment=payment, channel=channel, belongs=belongs, who=f"{what} of {who}"
    )


def _giving_back(paid: dict, belongs, what: str = "checkout"):
    return giving_back(
        payment=paid["payment"],
        customer=paid["customer"],
        channel=paid["checkout"].channel,
        belongs=belongs,
        what=what,
    )


def order_response(order) -> Response:
    """201 with the new order; 200 and ``Idempotent-Replayed`` for a repeated key."""
    replayed = order.idempotent_replay
    response = Response(
        order_detail_data(order),
        status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
    )
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class BuyNowInput(CheckoutInput):
    payment = PurchasePaymentInput()
    lines = CartLineInput(
        many=True,
        min_length=1,
        max_length=50,
        help_text="The items to buy. An id that is no item's is a 400 on `variant`; "
        "an item no longer sold a 409 `not_for_sale`, as at checkout.",
    )


class BuyNowView(APIView):
    """The one-request purchase: the lines come in the body instead of a cart."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="checkout_buy_now",
        request=BuyNowInput,
        parameters=[CLIENT_CHANNEL, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        responses={
            201: OrderDetailOutput,
            200: OpenApiResponse(OrderDetailOutput, description=REPLAYED),
            402: OpenApiResponse(description="Payment declined." + GIVEN_BACK),
            **ERRORS,
            409: OpenApiResponse(
                description="Out of stock (`insufficient_stock`) or no longer sold "
                "(`not_for_sale`), each line named in extra.lines; the "
                "Idempotency-Key used for another request (`idempotency_key_reused`), "
                "or the discount code's last use went to another order "
                "(extra.discount_code)." + GIVEN_BACK
            ),
        },
    )
    def post(self, request):
        """Buy the lines in the body at once, as checkout buys a cart's: delivery to
        an address or pickup at a shop, with the same rules, payment and key. A
        card pays with the intent `POST /checkout/payment-intent/` made for these
        lines (sent with `lines`): its `id` as `payment.token`, its `reference` as
        `payment.reference`."""
        data = BuyNowInput(data=request.data, context={"user": request.user})
        data.is_valid(raise_exception=True)
        lines = data.validated_data["lines"]
        paid = _paid_checkout(request, data.validated_data)
        reference = data.validated_data["payment"]["reference"]
        with (
            saved_address_named(data.validated_data),
            _giving_back(paid, purchase_of(reference), "buy now"),
        ):
            order = buy_now(
                lines=[
                    LineRequest(line["variant"], line["quantity"]) for line in lines
                ],
                **paid,
            )
        return order_response(order)
