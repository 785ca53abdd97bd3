"""Storefront returns: a customer starts a return of their own order online and gets a
code and QR to bring to any shop (to a shop whose till takes its currency when the
refund gives cash back: ``orders.selectors.cash_shops``), or the address of their
market's returns location to post the parcel to with the code on it
(``orders.selectors.return_post``). Views parse, call one service, render; other
customers' returns and orders answer 404.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.common import CLIENT_CHANNEL, request_channel
from omnistore.core.api import MAX_ID, ErrorSerializer, InputSerializer, TextField
from omnistore.core.channels import Channel
from orders.api.checkout import IDEMPOTENCY_KEY, replayed_header
from orders.emails import qr_png
from orders.models import RefundMethod, Return, ReturnReason, ReturnStatus
from orders.selectors.cash_shops import ANY_SHOP, where_to_bring
from orders.selectors.return_post import ReturnAddress, return_address
from orders.selectors.returns import (
    customer_returns,
    return_by_id,
    return_detail,
    return_qr_payload,
)
from orders.services.carts import storefront_customer
from orders.services.return_endings import withdraw_return
from orders.services.returns import (
    MAX_RETURN_LINES,
    TOO_MANY_RETURN_LINES,
    ReturnLineRequest,
    request_return,
)

ERRORS = {
    400: OpenApiResponse(description="Field errors: {message, code, extra}"),
    404: OpenApiResponse(description="Unknown order or return (or someone else's)"),
    409: OpenApiResponse(description="Outside the return window, or not returnable"),
}


def instructions(
    return_request, post_to: ReturnAddress | None = None, bring_to: str = ANY_SHOP
) -> str:
    """What the customer does next: bring the items to a shop (``bring_to``: any,
    or those whose drawer pays back the cash the refund gives, ``where_to_bring``)
    or, where their market has a returns location (``post_to``), post them there,
    while the return waits for them; nothing once it is cancelled, or once the
    items are back."""
    code = return_request.code
    if return_request.status == ReturnStatus.CANCELLED:
        return (
            f"Return {code} is cancelled: there is nothing to bring to a shop or to "
            "send, and no refund is due on it."
        )
    if return_request.status != ReturnStatus.REQUESTED:
        return f"We have the items of return {code}: nothing more to bring or send."
    days = settings.OMNISTORE_RETURN_WINDOW_DAYS
    by_post = ""
    if post_to is not None:
        by_post = (
            f" Or post them to {post_to}, with {code} written on the parcel: we "
            "refund you once it arrives."
        )
    return (
        f"Bring the items with code {code} (or show the QR) to {bring_to}: "
        f"staff scan it, check the items and refund you on the spot.{by_post} "
        f"Returns are accepted within {days} days of collection or delivery."
    )


RETURN_REPLAYED = replayed_header(
    "Sent (`true`) on the 200 that answers a request made again: the body is "
    "the return the first one made, nothing was done again."
)


# --- input ---------------------------------------------------------------------------


class ReturnLineInput(InputSerializer):
    order_line = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=99)
    reason = serializers.ChoiceField(choices=ReturnReason.choices)
    note = TextField(max_length=250, required=False, allow_blank=True, default="")


class ReturnCreateInput(InputSerializer):
    order = TextField(max_length=20, help_text="The order number.")
    # Refused before any line is read, in the service's words.
    lines = ReturnLineInput(
        many=True,
        allow_empty=False,
        max_length=MAX_RETURN_LINES,
        error_messages={"max_length": TOO_MANY_RETURN_LINES},
        help_text=f"Each order line once; at most {MAX_RETURN_LINES}.",
    )
    refund_method = serializers.ChoiceField(
        choices=RefundMethod.choices, default=RefundMethod.ORIGINAL
    )
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.APP],
        required=False,
        help_text="Where the return is started; not sent, the client's: `app` with "
        "the header `X-Client-Channel: app`, else `web`.",
    )
    note = TextField(max_length=500, required=False, allow_blank=True, default="")


# --- output --------------------------------------------------------------------------


class ReturnLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order_line = serializers.IntegerField(source="order_line_id")
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    quantity = serializers.IntegerField()
    reason = serializers.CharField()
    note = serializers.CharField()
    condition = serializers.CharField(
        help_text="`sellable` or `damaged`: while the return is `requested`, as "
        "the customer said when starting it; once received, the condition as "
        "received, as staff found it."
    )
    disposition = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class ShopRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ReturnAddressOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The returns location, as the label reads.")
    street = serializers.CharField()
    postcode = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField(help_text="Two-letter country code.")


class ReturnSummaryOutput(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField()
    order = serializers.CharField(source="order.number")
    started_channel = serializers.CharField()
    refund_method = serializers.CharField()
    refund_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(source="order.currency")
    receiving_location = ShopRef(allow_null=True)
    created_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)
    lines = ReturnLineOutput(many=True)


class ReturnStatusOutput(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    at = serializers.DateTimeField()


class ReturnDetailOutput(ReturnSummaryOutput):
    qr = serializers.SerializerMethodField()
    qr_url = serializers.SerializerMethodField()
    instructions = serializers.SerializerMethodField()
    post_to = serializers.SerializerMethodField()
    points_reversed = serializers.IntegerField()
    history = ReturnStatusOutput(many=True)

    def to_representation(self, instance):
        # Read once for both fields that show it.
        self._address = return_address(instance)
        self._bring_to = ANY_SHOP
        if instance.status == ReturnStatus.REQUESTED:
            self._bring_to = where_to_bring(instance)
        return super().to_representation(instance)

    def get_qr(self, obj) -> str:
        """The return code as a PNG data URI, to show on screen at the shop."""
        png = qr_png(return_qr_payload(obj), scale=6)
        return "data:image/png;base64," + base64.b64encode(png).decode()

    def get_qr_url(self, obj) -> str:
        path = reverse("orders-api:return-qr", args=[obj.code])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(
        serializers.CharField(
            help_text="What to do next, in words: while the return waits for its "
            "items, bring them with the code to any of our shops (to those whose "
            "till pays back cash in the order's currency, named when they are few, "
            "when the refund gives cash back) or post them to `post_to`; once they "
            "are back or the return is cancelled, that there is nothing to send."
        )
    )
    def get_instructions(self, obj) -> str:
        return instructions(obj, self._address, self._bring_to)

    @extend_schema_field(
        ReturnAddressOutput(
            allow_null=True,
            help_text="Where to post the items, with the return code written on the "
            "parcel, while the return waits for them: the returns location of the "
            "order's market. Null once the items are back or the return is "
            "cancelled, and where the market takes returns at its shops only.",
        )
    )
    def get_post_to(self, obj) -> dict | None:
        address = self._address
        return None if address is None else ReturnAddressOutput(address).data


# --- views ---------------------------------------------------------------------------


def _customer(request):
    return storefront_customer(user=request.user, channel=request_channel(request))


class ReturnListView(generics.ListAPIView):
    """The signed-in customer's returns, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReturnSummaryOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema has no customer
            return Return.objects.none()
        return customer_returns(_customer(self.request))

    @extend_schema(
        operation_id="return_create",
        request=ReturnCreateInput,
        parameters=[CLIENT_CHANNEL, IDEMPOTENCY_KEY, RETURN_REPLAYED],
        responses={
            201: ReturnDetailOutput,
            200: OpenApiResponse(
                ReturnDetailOutput,
                description="The request made again: the same `Idempotency-Key` "
                "with the same request, or the same order, lines, quantities, "
                "reasons and refund method as a return of yours still waiting for "
                "its items and started at most two minutes ago. The answer is "
                "that return, with the header `Idempotent-Replayed: true`; no "
                "second return is opened and no second email sent.",
            ),
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Outside the return window, or not returnable; or the "
                "Idempotency-Key used for another request (`idempotency_key_reused`)",
            ),
        },
    )
    def post(self, request):
        """Start a return of some lines of one of your orders; the answer carries the
        return code, its QR and what to do next. Sent again (a retry after a
        timeout, a double tap), it answers the return the first request made."""
        data = ReturnCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        created = request_return(
            order=data["order"],
            customer=_customer(request),
            channel=data.get("channel") or request_channel(request),
            refund_method=data["refund_method"],
            note=data["note"],
            actor=request.user,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            lines=[
                ReturnLineRequest(
                    order_line=line["order_line"],
                    quantity=line["quantity"],
                    reason=line["reason"],
                    note=line["note"],
                )
                for line in data["lines"]
            ],
        )
        body = ReturnDetailOutput(
            return_by_id(created.pk), context={"request": request}
        ).data
        if created.idempotent_replay:
            return Response(body, headers={"Idempotent-Replayed": "true"})
        return Response(body, status=status.HTTP_201_CREATED)


class ReturnDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="return_retrieve",
        responses={200: ReturnDetailOutput, **ERRORS},
    )
    def get(self, request, code: str):
        found = return_detail(code=code, customer=_customer(request))
        return Response(ReturnDetailOutput(found, context={"request": request}).data)


class ReturnQrView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="return_qr",
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY),
            404: ERRORS[404],
        },
    )
    def get(self, request, code: str):
        """The return QR as a PNG, for an app to show or a page to print."""
        found = return_detail(code=code, customer=_customer(request))
        png = qr_png(return_qr_payload(found))
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class ReturnCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="return_cancel",
        request=None,
        parameters=[CLIENT_CHANNEL],
        responses={
            200: ReturnDetailOutput,
            404: OpenApiResponse(
                ErrorSerializer,
                description="No return of yours has this code (`not_found`), or the "
                "login is a staff login (`staff_login`)",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="Its items have reached us (received, refunded or "
                "closed: it is refunded instead), or it is cancelled already "
                "(`illegal_transition`, `extra.from` and `extra.to` the statuses)",
            ),
        },
    )
    def post(self, request, code: str):
        """Withdraw a return you started while its items have not reached us (status
        `requested`): it is cancelled, with nothing to bring or send and no refund
        due, and its items may be returned again within the window. The answer is
        the return, cancelled."""
        withdrawn = withdraw_return(
            code=code,
            customer=_customer(request),
            actor=request.user,
            channel=request_channel(request),
        )
        body = ReturnDetailOutput(
            return_by_id(withdrawn.pk), context={"request": request}
        ).data
        return Response(body)
