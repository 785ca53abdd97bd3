"""Storefront cart, checkout and orders. Views parse, call one service, render.

Anonymous carts are addressed by the ``X-Cart-Token`` header (or ``?cart_token=``); a
signed-in request carrying the token of an anonymous cart folds it into the customer's.
A new anonymous cart is stored with its first line; until then its (signed) token
stands for an empty open cart.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from orders import selectors
from orders.models import CartStatus, FulfilmentMethod
from orders.services.carts import (
    add_cart_lines,
    ensure_customer_cart,
    merge_anonymous_cart,
    remove_cart_line,
    set_cart_line_quantity,
    start_cart,
    storefront_customer,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.discounts import normalize_discount_code, preview_discount
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest

from . import serializers as s

CART_TOKEN = OpenApiParameter(
    "X-Cart-Token",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Token of an anonymous cart (also accepted as ?cart_token=).",
)
FULFILMENT_PARAMS = [
    OpenApiParameter(
        "fulfilment",
        OpenApiTypes.STR,
        enum=[FulfilmentMethod.DELIVERY, FulfilmentMethod.PICKUP],
        description="Show availability for delivery (default) or pickup at `store`.",
    ),
    OpenApiParameter("store", OpenApiTypes.INT, description="Pickup shop id."),
]
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Repeat a checkout safely: the same key returns the same order.",
)
ERRORS = {
    400: OpenApiResponse(description="Field errors: {message, code, extra}"),
    404: OpenApiResponse(description="Unknown cart or order"),
    409: OpenApiResponse(description="Out of stock (extra.lines) or closed cart"),
}


def _token(request) -> str:
    return (
        request.headers.get("X-Cart-Token")
        or request.query_params.get("cart_token")
        or ""
    ).strip()[:64]


def _customer(request):
    if not request.user.is_authenticated:
        return None
    if not hasattr(request, "_storefront_customer"):
        request._storefront_customer = storefront_customer(user=request.user)
    return request._storefront_customer


def _cart(request, *, create: bool = False, open_only: bool = True):
    customer = _customer(request)
    token = _token(request)
    if customer is not None:
        if token:
            return merge_anonymous_cart(token=token, customer=customer)
        return selectors.find_cart(customer=customer) or ensure_customer_cart(
            customer=customer
        )
    if token:
        cart = selectors.find_cart(token=token, open_only=False) or (
            selectors.started_cart(token=token)
        )
        if cart is None or (open_only and cart.status != CartStatus.OPEN):
            raise NotFound("Cart not found.")
        return cart
    if create:
        return start_cart()
    raise NotFound("No cart yet: POST /api/v1/cart/ starts one.")


def _fulfilment(request) -> tuple[str, int | None]:
    method = request.query_params.get("fulfilment") or FulfilmentMethod.DELIVERY
    if method not in (FulfilmentMethod.DELIVERY, FulfilmentMethod.PICKUP):
        raise ValidationFailed(
            "Unknown fulfilment.", extra={"fulfilment": ["Use delivery or pickup."]}
        )
    store = request.query_params.get("store")
    if method == FulfilmentMethod.PICKUP:
        try:
            return method, int(store)
        except (TypeError, ValueError):
            raise ValidationFailed(
                "Choose a shop.", extra={"store": ["A shop id is required for pickup."]}
            ) from None
    return method, None


def _cart_body(request, cart, lines=None) -> dict:
    method, store = _fulfilment(request)
    lines = selectors.cart_lines(cart) if lines is None else lines
    availability = selectors.cart_availability(
        variant_ids=[line.variant_id for line in lines], store_id=store
    )
    return {
        "token": cart.token,
        "status": cart.status,
        "channel": cart.channel,
        "currency": settings.OMNISTORE_CURRENCY,
        "fulfilment": method,
        "store": store,
        "lines": s.cart_lines_data(lines, availability=availability, fulfilment=method),
        "item_count": sum(line.quantity for line in lines),
        "subtotal": str(sum((line.variant.price * line.quantity for line in lines), 0)),
        "updated_at": s.serializers.DateTimeField().to_representation(cart.updated_at),
    }


DISCOUNT_CODE = OpenApiParameter(
    "discount_code",
    OpenApiTypes.STR,
    description="Preview a discount code on this cart: adds `discount_code`, "
    "`discount_total` and `total`; an unusable code is a 400 with the reason in "
    "`extra.discount_code`.",
)


def _discount_preview(request, cart, body: dict, code: str) -> dict:
    subtotal = Decimal(body["subtotal"])
    amount = preview_discount(
        code=code, subtotal=subtotal, customer=_customer(request), channel=cart.channel
    )
    return {
        "discount_code": normalize_discount_code(code),
        "discount_total": str(amount),
        "total": str(subtotal - amount),
    }


class CartView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_retrieve",
        parameters=[CART_TOKEN, *FULFILMENT_PARAMS, DISCOUNT_CODE],
        responses={200: s.CartOutput, **ERRORS},
    )
    def get(self, request):
        """The current cart with availability for the chosen fulfilment; with
        ``?discount_code=`` also what the code takes off (nothing is held: checkout
        checks the code again and claims it)."""
        cart = _cart(request)
        body = _cart_body(request, cart)
        code = request.query_params.get("discount_code", "")
        if code.strip():
            body.update(_discount_preview(request, cart, body, code))
        return Response(body)

    @extend_schema(
        operation_id="cart_create",
        request=None,
        parameters=[CART_TOKEN, *FULFILMENT_PARAMS],
        responses={200: s.CartOutput, 201: s.CartOutput},
    )
    def post(self, request):
        """Start an anonymous cart (keep its token: the cart is stored with its first
        line), or get the signed-in customer's."""
        created = not request.user.is_authenticated and not _token(request)
        cart = _cart(request, create=True)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(_cart_body(request, cart, [] if created else None), status=code)


class CartLinesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_lines_add",
        request=s.CartLinesInput,
        parameters=[CART_TOKEN, *FULFILMENT_PARAMS],
        responses={201: s.CartOutput, **ERRORS},
    )
    def post(self, request):
        """Add one item (``variant``, ``quantity``) or several (``lines``)."""
        data = s.CartLinesInput(data=request.data)
        data.is_valid(raise_exception=True)
        cart = _cart(request)
        lines = add_cart_lines(cart=cart, lines=data.validated_data["lines"])
        return Response(
            _cart_body(request, cart, lines), status=status.HTTP_201_CREATED
        )


class CartLineView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_line_update",
        request=s.CartLineUpdateInput,
        parameters=[CART_TOKEN, *FULFILMENT_PARAMS],
        responses={200: s.CartOutput, **ERRORS},
    )
    def patch(self, request, line_id: int):
        data = s.CartLineUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        cart = _cart(request)
        set_cart_line_quantity(
            cart=cart, line_id=line_id, quantity=data.validated_data["quantity"]
        )
        return Response(_cart_body(request, cart))

    @extend_schema(
        operation_id="cart_line_delete",
        parameters=[CART_TOKEN, *FULFILMENT_PARAMS],
        responses={200: s.CartOutput, **ERRORS},
    )
    def delete(self, request, line_id: int):
        cart = _cart(request)
        remove_cart_line(cart=cart, line_id=line_id)
        return Response(_cart_body(request, cart))


class CheckoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="checkout",
        request=s.CheckoutInput,
        parameters=[CART_TOKEN, IDEMPOTENCY_KEY],
        responses={
            201: s.OrderDetailOutput,
            200: OpenApiResponse(s.OrderDetailOutput, description="Replayed key"),
            402: OpenApiResponse(description="Payment declined"),
            **ERRORS,
            409: OpenApiResponse(
                description="Out of stock (extra.lines), closed cart, or the discount "
                "code's last use went to another order (extra.discount_code)"
            ),
        },
    )
    def post(self, request):
        """Turn the cart into an order: delivery to an address or pickup at a shop."""
        data = s.CheckoutInput(data=request.data, context={"user": request.user})
        data.is_valid(raise_exception=True)
        data = data.validated_data
        key = request.headers.get("Idempotency-Key", "").strip()
        customer = _customer(request)
        token = _token(request)
        lines = []
        if customer is None or not token:  # a token on a signed-in request merges first
            lines = selectors.open_cart_lines(customer=customer, token=token)
        cart = lines[0].cart if lines else _cart(request, open_only=False)
        if not lines and cart.status == CartStatus.OPEN:
            lines = selectors.cart_lines(cart)
        if not lines:
            earlier = selectors.replayed_order(
                idempotency_key=key, cart=cart, customer=customer
            )
            if earlier is not None:
                return self._render(earlier, replayed=True)
            if cart.status != CartStatus.OPEN:
                raise Conflict("This cart was already checked out.", code="cart_closed")
            raise ValidationFailed(
                "The cart is empty.", extra={"cart": ["The cart is empty."]}
            )
        order = place_order(
            lines=[LineRequest(line.variant, line.quantity) for line in lines],
            channel=data["channel"],
            fulfilment=data["fulfilment"],
            pickup_store=data.get("store"),
            address=data.get("address"),
            customer=customer,
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            payments=[
                PaymentRequest(
                    method=data["payment"]["method"], token=data["payment"]["token"]
                )
            ],
            idempotency_key=key,
            discount_code=data.get("discount_code", ""),
            cart=cart,
        )
        replayed = getattr(order, "idempotent_replay", False)
        if replayed:
            order = selectors.order_by_id(order.pk)
        return self._render(order, replayed=replayed)

    def _render(self, order, *, replayed: bool) -> Response:
        response = Response(
            s.order_detail_data(order),
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class OrderListView(generics.ListAPIView):
    """The signed-in customer's orders from every channel, shop purchases included."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.OrderSummaryOutput

    def get_queryset(self):
        return selectors.customer_orders(_customer(self.request))


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_retrieve", responses={200: s.OrderDetailOutput, **ERRORS}
    )
    def get(self, request, number: str):
        order = selectors.order_detail(number=number, customer=_customer(request))
        return Response(s.OrderDetailOutput(order).data)


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_cancel",
        request=s.CancelInput,
        responses={200: s.OrderDetailOutput, **ERRORS},
    )
    def post(self, request, number: str):
        """Cancel an order that has not been picked yet; the payment is refunded."""
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = selectors.order_detail(number=number, customer=_customer(request))
        cancel_order(
            order=order,
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
            by_customer=True,
        )
        return Response(s.OrderDetailOutput(selectors.order_by_id(order.pk)).data)
