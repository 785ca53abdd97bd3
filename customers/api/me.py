"""The signed-in customer's own profile, consents, timeline and personal data. Nothing here takes a customer id: every ``/me/`` view works on the
profile of the signed-in user (after merges, the survivor), so no one reaches another
person's data."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import CustomerEvent
from customers.selectors.export import export_customer_data
from customers.selectors.identities import customer_for_user
from customers.selectors.profiles import consent_state, customer_profile
from customers.selectors.timeline import for_the_customer, timeline_queryset
from customers.services.consents import set_consents
from customers.services.erasure import REQUESTED_BY_CUSTOMER, erase_customer
from customers.services.profiles import update_profile
from omnistore.core.api import ErrorSerializer, FlagField

from .common import BAD_INPUT, CLIENT_CHANNEL, request_channel, validated
from .serializers import (
    ConsentOutSerializer,
    ConsentUpdateSerializer,
    EraseSerializer,
    EventSerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
)

NO_PROFILE = OpenApiResponse(ErrorSerializer, description="The login has no profile.")


class MeView(APIView):
    def _profile(self, customer):
        customer = customer_profile(customer)
        return Response(ProfileSerializer(customer).data)

    @extend_schema(
        summary="My profile",
        responses={200: ProfileSerializer, 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request):
        return self._profile(customer_for_user(request.user))

    @extend_schema(
        summary="Change my profile",
        description=(
            "Only the fields sent change. `preferred_store` must be an open shop; "
            "`preferences` replaces the stored preferences."
        ),
        request=ProfileUpdateSerializer,
        responses={200: ProfileSerializer, 400: BAD_INPUT, 404: NO_PROFILE},
        tags=["me"],
        parameters=[CLIENT_CHANNEL],
    )
    def patch(self, request):
        customer = customer_for_user(request.user)
        data = validated(ProfileUpdateSerializer, request)
        customer = update_profile(
            customer=customer,
            actor=request.user,
            channel=request_channel(request),
            **data,
        )
        return self._profile(customer)


class MeConsentsView(APIView):
    @extend_schema(
        summary="My marketing and personalisation consents",
        responses={200: ConsentOutSerializer(many=True), 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request):
        customer = customer_for_user(request.user)
        rows = ConsentOutSerializer.rows(consent_state(customer))
        return Response(ConsentOutSerializer(rows, many=True).data)

    @extend_schema(
        summary="Grant or withdraw consents",
        description="Channels not sent stay as they are. Every change is recorded.",
        request=ConsentUpdateSerializer,
        parameters=[CLIENT_CHANNEL],
        responses={
            200: ConsentOutSerializer(many=True),
            400: BAD_INPUT,
            404: NO_PROFILE,
        },
        tags=["me"],
    )
    def put(self, request):
        customer = customer_for_user(request.user)
        data = validated(ConsentUpdateSerializer, request)
        set_consents(
            customer=customer,
            decisions={k: v for k, v in data.items() if k != "channel"},
            source_channel=data.get("channel") or request_channel(request),
            actor=request.user,
        )
        rows = ConsentOutSerializer.rows(consent_state(customer))
        return Response(ConsentOutSerializer(rows, many=True).data)


class MeTimelineView(generics.ListAPIView):
    serializer_class = EventSerializer
    filter_backends: list = []

    @extend_schema(
        summary="My history",
        description=(
            "Orders, pickups, returns, wishlist changes, messages, consents and more, "
            "newest first. Staff-only notes are not listed."
        ),
        responses={200: EventSerializer(many=True), 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CustomerEvent.objects.none()
        customer = customer_for_user(self.request.user)
        return timeline_queryset(customer, for_customer=True)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return page if page is None else for_the_customer(page)


class MeExportView(APIView):
    @extend_schema(
        summary="Export my personal data",
        description=(
            "Everything held about you, as JSON: `profile` (with your company, VAT "
            "number and associate, and each profile merged into it with its own "
            "fields), `identities`, `addresses`, `current_consents` and `consents` "
            "(every decision), `events` (the timeline), `notes`, `messages` (your "
            "conversations with your associate), `client_tasks`, `points` (the "
            "ledger), `wishlists` (items and email shares), `appointments`, "
            "`product_views` (what you viewed on the website and the app), "
            "`learned_sizes`, `orders` (lines, addresses, payments and refunds, "
            "history), `returns`, `invoices` (invoices and credit notes issued to "
            "you, the buyer as printed), `store_credit` (the ledger), `carts`, "
            "`discount_codes_used`, `gift_cards_bought` (amount, masked number, "
            "recipient, message, send date, sent or not), `gift_cards_received` "
            "(the cards sent to an email you have verified) and "
            "`campaign_messages` (the campaign emails, "
            "texts and notifications sent to you). Each section holds the rows of "
            "every profile merged into yours too (a task a merge closed there, a "
            "size learned there)."
        ),
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="JSON document (sent as the attachment my-data.json)",
            ),
            404: NO_PROFILE,
        },
        tags=["me"],
    )
    def get(self, request):
        customer = customer_for_user(request.user)
        response = Response(export_customer_data(customer))
        response["Content-Disposition"] = 'attachment; filename="my-data.json"'
        return response


class MeEraseSerializer(EraseSerializer):
    forfeit_balance = FlagField(
        required=False,
        default=False,
        help_text=(
            "True to give up the store credit and points still on the profile: "
            "nobody can use them once it is erased."
        ),
    )


class MeEraseView(APIView):
    @extend_schema(
        summary="Erase my personal data",
        description=(
            "Removes names, contact data, addresses and preferences, withdraws every "
            "consent and closes the login. Orders and invoices stay (anonymous) for "
            "accounting. Refused, and nothing erased, with 409 `open_orders` (the "
            "numbers in `extra`) while orders are still to be shipped or collected "
            "or returns still open (one not brought or sent back yet is withdrawn "
            "with `POST /api/v1/returns/{code}/cancel/`); with 409 "
            "`sale_in_progress` (the terminal "
            "payments' references in `extra.terminal_payments`) while a sale for you "
            "waits on a shop's card terminal: let it finish, or ask the shop to "
            "cancel it; with 409 `gift_card_to_send` (the masked numbers "
            "and send dates in `extra.gift_cards`) while an e-gift card you bought "
            "is still to be sent: wait for it, or ask the shop to cancel and refund "
            "it; and with 409 `balance_left` (the message names them, "
            "`extra.balances` holds them) while store credit or loyalty points are "
            'left, unless you send `"forfeit_balance": true` to give them up: '
            "what you give up is recorded with the erasure."
        ),
        request=MeEraseSerializer,
        responses={
            200: OpenApiResponse(description="Erased"),
            400: BAD_INPUT,
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "Orders or returns still open, a sale waiting on a card "
                    "terminal, an e-gift card still to be sent, or a balance left; "
                    "nothing was erased."
                ),
            ),
        },
        tags=["me"],
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request):
        customer = customer_for_user(request.user)
        data = validated(MeEraseSerializer, request)
        erase_customer(
            customer=customer,
            actor=request.user,
            channel=request_channel(request),
            reason=REQUESTED_BY_CUSTOMER,
            forfeit_balance=data["forfeit_balance"],
        )
        return Response({"erased": True})
