"""Storefront cart: start, read, add, change and remove lines.

Anonymous carts are addressed by the ``X-Cart-Token`` header (or ``?cart_token=``); a
signed-in write carrying the token of an anonymous cart folds it into the customer's
(the token is spent then), and a signed-in read carrying it shows the cart as that fold
will leave it, writing nothing: keep sending the token until the first write. Both list
in ``not_merged`` what the fold leaves out (past the cart's or a line's limit).
A new anonymous cart is stored with its first line; until then its (signed) token
stands for an empty open cart.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.common import CLIENT_CHANNEL, request_channel
from customers.selectors.inbox import shared_wishlist_associates
from inventory.models import Location
from omnistore.core.api import MAX_ID, InputSerializer, TextField
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ValidationFailed
from orders.models import FulfilmentMethod
from orders.pricing import ZERO, delivery_taxed
from orders.selectors.carts import (
    anonymous_cart,
    cart_availability,
    cart_lines,
    signed_in_cart,
)
from orders.selectors.taxes import SaleTerms, sale_terms
from orders.services.carts import (
    add_lines_to_current_cart,
    current_cart,
    remove_current_cart_line,
    set_current_cart_line_quantity,
)
from orders.services.checkout import pickup_refusal
from orders.services.common import MAX_LINE_QUANTITY
from orders.services.delivery import sale_delivery_fee
from orders.services.discounts import (
    normalize_discount_code,
    preview_discount,
    price_discount,
)
from orders.services.sourcing import active_location

from .cart_output import CartOutput, cart_lines_data, not_merged_data, take_off
from .common import CART_TOKEN, ERRORS, cart_token, known_customer, request_customer

# --- input and output -----------------------------------------------------------------


class CartLineInput(InputSerializer):
    variant = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class CartLinesInput(InputSerializer):
    """One item (`variant`, `quantity`) or several (`lines`), not both: a body with
    both is a 400 on `variant`. Units add to the item's line, which holds at most
    99: past that, a 400 `line_full` saying how many more fit."""

    variant = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The item to add, with `quantity`; or send `lines` instead, "
        "not both.",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)
    lines = CartLineInput(
        many=True,
        required=False,
        help_text="Several items to add, instead of `variant` and `quantity`, not "
        "both.",
    )
    via_wishlist = TextField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=(
            "The token of the shared wishlist link the items were added from: the "
            "order credits the associate who put them on the list."
        ),
    )

    def validate(self, data):
        lines = data.get("lines")
        if lines is not None and "variant" in data:
            raise serializers.ValidationError(
                {"variant": ["Send either `variant` or `lines`, not both."]}
            )
        if lines is None:
            if "variant" not in data:
                raise serializers.ValidationError(
                    {"variant": ["This field is required."]}
                )
            lines = [{"variant": data["variant"], "quantity": data["quantity"]}]
        if not lines:
            raise serializers.ValidationError({"lines": ["Add at least one item."]})
        return {
            "lines": [(line["variant"], line["quantity"]) for line in lines],
            "via_wishlist": data.get("via_wishlist", ""),
        }


class CartLineUpdateInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=99)


FULFILMENT_PARAMS = [
    OpenApiParameter(
        "fulfilment",
        OpenApiTypes.STR,
        enum=[FulfilmentMethod.DELIVERY, FulfilmentMethod.PICKUP],
        description="Show availability for delivery (default) or pickup at `store`.",
    ),
    OpenApiParameter(
        "store",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        description="Pickup shop id. A shop checkout would refuse is refused here "
        "too, with a 400 on `store` and the same message: unknown or closed "
        "(`Unknown location.`) or offering no click and collect.",
    ),
    OpenApiParameter(
        "country",
        {"type": "string", "pattern": "^[A-Za-z]{2}$"},
        description="Price and tax the cart for this country's market (two letters; "
        "default: the shop's home country). Unknown: 400 on `country`. For pickup "
        "the cart is priced and taxed in the pickup shop's country instead.",
    ),
]


def _cart_read(request) -> tuple:
    """The cart a read shows and its lines (None: read them), writing nothing."""
    channel = request_channel(request)
    if not request.user.is_authenticated:
        return anonymous_cart(token=cart_token(request), channel=channel), None
    return signed_in_cart(
        customer=known_customer(request),
        token=cart_token(request),
        most=MAX_LINE_QUANTITY,
        channel=channel,
    )


Preview = tuple[str, Location | None, str]


def _preview(request) -> Preview:
    """What the cart is shown for (``?fulfilment=``, ``?store=``, ``?country=``):
    the method, the pickup shop and the country asked. Read before a write, so a
    refused parameter changes nothing."""
    method, shop = _fulfilment(request)
    return method, shop, _country(request)


def _fulfilment(request) -> tuple[str, Location | None]:
    method = request.query_params.get("fulfilment", FulfilmentMethod.DELIVERY)
    if method not in (FulfilmentMethod.DELIVERY, FulfilmentMethod.PICKUP):
        raise ValidationFailed(
            "Unknown fulfilment.", extra={"fulfilment": ["Use delivery or pickup."]}
        )
    store = _store_id(request.query_params.get("store"))
    if method == FulfilmentMethod.PICKUP:
        if store is None:
            raise ValidationFailed(
                "Choose a shop.", extra={"store": ["A shop id is required for pickup."]}
            )
        return method, _pickup_shop(store)
    return method, None


def _pickup_shop(store: int) -> Location:
    """The shop to collect at, refused as checkout refuses it (400 on ``store``):
    unknown or closed, or not offering click and collect."""
    shop = active_location(store, "store")
    refusal = pickup_refusal(shop)
    if refusal:
        raise ValidationFailed(refusal, extra={"store": [refusal]})
    return shop


def _store_id(raw: str | None) -> int | None:
    """``?store=``: absent, or a shop id (a whole number from 1); anything else is
    refused, whatever the fulfilment."""
    if raw is None:
        return None
    if not is_digits(raw) or not 1 <= int(raw) <= MAX_ID:
        raise ValidationFailed(
            "Unknown shop.", extra={"store": ["A shop id, a whole number from 1."]}
        )
    return int(raw)


def _country(request) -> str:
    raw = request.query_params.get("country")
    if raw is None:  # absent: the default region; present but empty: refused
        raw = settings.OMNISTORE_DEFAULT_REGION
    if not (len(raw) == 2 and raw.isascii() and raw.isalpha()):
        raise ValidationFailed(
            "Unknown country.", extra={"country": ["Use the two-letter country code."]}
        )
    return raw.upper()


def _cart_body(
    request, cart, lines=None, code: str = "", preview: Preview | None = None
) -> dict:
    """The cart priced as checkout will price it: for pickup on the pickup shop's
    terms (taxed where the shop is), for delivery on the asked country's; its lines,
    their VAT, the delivery fee and the total (with ``code`` previewed, what it
    takes off)."""
    method, shop, country = preview or _preview(request)
    lines = cart_lines(cart) if lines is None else lines
    terms = sale_terms(
        variants=[line.variant for line in lines],
        on=timezone.localdate(),
        shop=shop,
        destination=country,
        shop_field="store",
        country_field="country",
    )
    store = shop.pk if shop is not None else None
    availability = cart_availability(
        variant_ids=[line.variant_id for line in lines], store_id=store
    )
    rows = cart_lines_data(
        lines, availability=availability, fulfilment=method, terms=terms
    )
    # A line not sellable here (no longer sold, or no price or VAT rate in this
    # market) is left out of what checkout would charge: it refuses the line.
    priced = [
        line for line, row in zip(lines, rows, strict=True) if row["sellable_here"]
    ]
    subtotal = sum(
        (Decimal(row["line_total"]) for row in rows if row["sellable_here"]), ZERO
    )
    preview_code = {}
    if code.strip():
        preview_code, shares = _discount_preview(
            request, cart, priced, subtotal, code, terms
        )
        for row in rows:
            if row["sellable_here"]:
                take_off(row, shares.get(row["variant"], ZERO), terms)
    body = {
        "token": cart.token,
        "status": cart.status,
        "channel": cart.channel,
        "country": shop.country if shop is not None else country,
        "currency": terms.currency,
        "fulfilment": method,
        "store": store,
        "lines": rows,
        "item_count": sum(line.quantity for line in lines),
        "not_merged": not_merged_data(cart),
        "subtotal": str(subtotal),
        "updated_at": serializers.DateTimeField().to_representation(cart.updated_at),
    }
    body.update(preview_code)
    goods = subtotal - Decimal(body.get("discount_total", 0))
    fee = ZERO
    if priced:
        fee = sale_delivery_fee(
            terms, method=method, goods=goods, buyer=lambda: known_customer(request)
        )
    body.update(_tax_totals(rows, fee, terms))
    body["delivery_fee"] = str(fee)
    body["total"] = str(goods + fee)
    return body


def _tax_totals(rows: list[dict], fee: Decimal, terms: SaleTerms) -> dict:
    """Net and VAT of what checkout will charge: the lines' (after a previewed
    code) and the delivery fee's, split as checkout splits it, at the highest of the
    lines' rates; so net + VAT is the total. A line that cannot be sold on these
    terms is not charged (its net and VAT are null)."""
    net = sum((Decimal(row["net"] or 0) for row in rows), ZERO)
    tax = sum((Decimal(row["tax"] or 0) for row in rows), ZERO)
    if fee and terms.rates:
        delivery = delivery_taxed(fee, terms.rates.values())
        net, tax = net + delivery.net, tax + delivery.tax
    elif fee:
        net += fee
    return {"net_total": str(net), "tax_total": str(tax)}


DISCOUNT_CODE = OpenApiParameter(
    "discount_code",
    OpenApiTypes.STR,
    description="Preview a discount code on this cart: adds `discount_code`, "
    "`discount_total` and `total`; an unusable code is a 400 with the reason in "
    "`extra.discount_code`.",
)


def _discount_preview(
    request, cart, lines, subtotal: Decimal, code: str, terms: SaleTerms
) -> tuple[dict, dict[int, Decimal]]:
    """What ``code`` takes off, and each line's share by variant, as checkout
    prices it (a guest is identified by the email checkout asks for); an empty
    cart's code checked all the same."""
    if not lines:
        amount = preview_discount(
            code=code,
            subtotal=subtotal,
            customer=known_customer(request),
            channel=cart.channel,
            currency=terms.currency,
        )
        return _code_body(code, amount), {}
    _, amount, shares = price_discount(
        code,
        lines=[(line.variant, line.quantity) for line in lines],
        subtotal=subtotal,
        channel=cart.channel,
        customer=known_customer(request),
        identified=True,
        now=timezone.now(),
        prices=terms.prices,
        currency=terms.currency,
    )
    return _code_body(code, amount), shares


def _code_body(code: str, amount: Decimal) -> dict:
    return {
        "discount_code": normalize_discount_code(code),
        "discount_total": str(amount),
    }


# --- views ----------------------------------------------------------------------------


class CartView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_retrieve",
        parameters=[CART_TOKEN, CLIENT_CHANNEL, *FULFILMENT_PARAMS, DISCOUNT_CODE],
        responses={200: CartOutput, **ERRORS},
    )
    def get(self, request):
        """The current cart with availability for the chosen fulfilment; with
        ``?discount_code=`` also what the code takes off (nothing is held: checkout
        checks the code again and claims it)."""
        # Writes nothing: signed in with an anonymous cart's token, the cart as the
        # next write will leave it, that cart folded in; before the first write, an
        # empty cart without a token (see selectors.carts.signed_in_cart).
        cart, lines = _cart_read(request)
        code = request.query_params.get("discount_code", "")
        return Response(_cart_body(request, cart, lines, code))

    @extend_schema(
        operation_id="cart_create",
        request=None,
        parameters=[CART_TOKEN, CLIENT_CHANNEL, *FULFILMENT_PARAMS],
        responses={200: CartOutput, 201: CartOutput},
    )
    def post(self, request):
        """Start an anonymous cart (keep its token: the cart is stored with its first
        line), or get the signed-in customer's. A new cart is the app's with
        ``X-Client-Channel: app``, else the website's."""
        preview = _preview(request)
        created = not request.user.is_authenticated and not cart_token(request)
        cart = current_cart(
            customer=request_customer(request),
            token=cart_token(request),
            create=True,
            channel=request_channel(request),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        lines = [] if created else None
        return Response(_cart_body(request, cart, lines, preview=preview), status=code)


class CartLinesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_lines_add",
        request=CartLinesInput,
        parameters=[CART_TOKEN, CLIENT_CHANNEL, *FULFILMENT_PARAMS],
        responses={201: CartOutput, **ERRORS},
    )
    def post(self, request):
        """Add one item (``variant``, ``quantity``) or several (``lines``), not
        both."""
        data = CartLinesInput(data=request.data)
        data.is_valid(raise_exception=True)
        preview = _preview(request)
        wanted = data.validated_data["lines"]
        via = data.validated_data["via_wishlist"]
        cart, lines = add_lines_to_current_cart(
            customer=request_customer(request),
            token=cart_token(request),
            lines=wanted,
            helped_by=shared_wishlist_associates(via, [v for v, _ in wanted])
            if via
            else None,
            channel=request_channel(request),
        )
        return Response(
            _cart_body(request, cart, lines, preview=preview),
            status=status.HTTP_201_CREATED,
        )


class CartLineView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_line_update",
        request=CartLineUpdateInput,
        parameters=[CART_TOKEN, CLIENT_CHANNEL, *FULFILMENT_PARAMS],
        responses={200: CartOutput, **ERRORS},
    )
    def patch(self, request, line_id: int):
        data = CartLineUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        preview = _preview(request)
        cart = set_current_cart_line_quantity(
            customer=request_customer(request),
            token=cart_token(request),
            line_id=line_id,
            quantity=data.validated_data["quantity"],
            channel=request_channel(request),
        )
        return Response(_cart_body(request, cart, preview=preview))

    @extend_schema(
        operation_id="cart_line_delete",
        parameters=[CART_TOKEN, CLIENT_CHANNEL, *FULFILMENT_PARAMS],
        responses={200: CartOutput, **ERRORS},
    )
    def delete(self, request, line_id: int):
        preview = _preview(request)
        cart = remove_current_cart_line(
            customer=request_customer(request),
            token=cart_token(request),
            line_id=line_id,
            channel=request_channel(request),
        )
        return Response(_cart_body(request, cart, preview=preview))
