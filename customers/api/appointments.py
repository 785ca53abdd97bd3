"""Appointments through the storefront: a shop's free slots (open to anyone), and the
signed-in customer's own appointments — book, list, read, cancel.

Appointments are looked up among the signed-in customer's own (after merges, the
survivor's): another person's answers 404, as if it did not exist. Times are answered
with the shop's offset; a start sent without one is read in the shop's time zone.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Appointment, AppointmentKind, AppointmentStatus
from customers.selectors.appointments import (
    appointment_slots,
    bookable_shop,
    check_bookable_day,
    customer_appointments,
    shop_timezone,
)
from customers.selectors.identities import customer_for_user
from customers.selectors.team import associate_public_name
from customers.services.appointments import (
    NOTE_MAX,
    REASON_MAX,
    book_appointment,
    cancel_appointment,
)
from omnistore.core.api import (
    MAX_ID,
    ErrorSerializer,
    InputSerializer,
    QuerySerializer,
    TextField,
)
from omnistore.core.exceptions import NotFound
from omnistore.core.throttling import SettingsRateThrottle

from .common import BAD_INPUT, CLIENT_CHANNEL, request_channel, validated

TAGS = ["appointments"]
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such appointment among yours (or no profile)."
)
CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description=(
        "`slot_full`: nobody is free then; `too_many`: too many upcoming "
        "appointments; `profile_erased`: the profile was erased meanwhile; "
        "`illegal_transition` / `started`: it can no longer change."
    ),
)


class SlotsThrottle(SettingsRateThrottle):
    scope = "appointment_slots"


class BookingThrottle(SettingsRateThrottle):
    scope = "appointment_booking"


# --- input -------------------------------------------------------------------------


class SlotQuerySerializer(QuerySerializer):
    kind = serializers.ChoiceField(choices=AppointmentKind.choices)
    date = serializers.DateField(help_text="The day, in the shop's calendar.")


class AppointmentCreateSerializer(InputSerializer):
    shop = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Shop id.")
    kind = serializers.ChoiceField(choices=AppointmentKind.choices)
    starts_at = serializers.DateTimeField(
        help_text="One of the shop's slot starts; without an offset, shop time."
    )
    note = TextField(
        max_length=NOTE_MAX,
        required=False,
        allow_blank=True,
        help_text="What you would like to see or try.",
    )


class AppointmentCancelSerializer(serializers.Serializer):
    reason = TextField(max_length=REASON_MAX, required=False, allow_blank=True)


# --- output ------------------------------------------------------------------------


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    available = serializers.IntegerField(
        help_text="Associates free for the whole slot; 0 when fully booked."
    )


class SlotListSerializer(serializers.Serializer):
    shop = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AppointmentKind.choices)
    date = serializers.DateField()
    timezone = serializers.CharField(help_text="The shop's time zone.")
    slots = SlotSerializer(many=True)


class AppointmentShopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()


class AppointmentSerializer(serializers.ModelSerializer):
    shop = AppointmentShopSerializer(source="location")
    associate = serializers.SerializerMethodField(
        help_text='Whom you will see, as "Giulia B.".'
    )
    can_cancel = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "kind",
            "status",
            "shop",
            "associate",
            "starts_at",
            "ends_at",
            "note",
            "channel",
            "created_at",
            "cancelled_at",
            "can_cancel",
        ]
        read_only_fields = fields

    def get_associate(self, appointment) -> str:
        return associate_public_name(appointment.associate)

    def get_can_cancel(self, appointment) -> bool:
        return (
            appointment.status == AppointmentStatus.BOOKED
            and appointment.starts_at > timezone.now()
        )


# --- views -------------------------------------------------------------------------


class AppointmentSlotsView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [SlotsThrottle]

    @extend_schema(
        summary="Free appointment slots at a shop",
        description=(
            "Every start on the day where an appointment of the kind fits within the "
            "shop's appointment hours, with how many associates are free for all of "
            "it. Past times are left out; a day in the past or beyond the booking "
            "horizon is a 400, a closed day an empty list."
        ),
        parameters=[SlotQuerySerializer],
        responses={
            200: SlotListSerializer,
            400: BAD_INPUT,
            404: OpenApiResponse(ErrorSerializer, description="No such shop."),
        },
        tags=TAGS,
    )
    def get(self, request, pk: int):
        shop = bookable_shop(pk)
        params = SlotQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        kind, day = params.validated_data["kind"], params.validated_data["date"]
        now = timezone.now()
        check_bookable_day(day, location=shop, now=now)
        slots = appointment_slots(location=shop, kind=kind, day=day, now=now)
        zone = shop_timezone(shop)
        data = {
            "shop": shop.pk,
            "kind": kind,
            "date": day,
            "timezone": zone.key,
            "slots": [
                {
                    "starts_at": timezone.localtime(s.starts_at, zone),
                    "ends_at": timezone.localtime(s.ends_at, zone),
                    "available": s.available,
                }
                for s in slots
            ],
        }
        return Response(SlotListSerializer(data).data)


class MyAppointmentsView(generics.ListAPIView):
    serializer_class = AppointmentSerializer
    filter_backends: list = []

    def get_throttles(self):
        if self.request.method == "POST":
            return [BookingThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appointment.objects.none()
        return customer_appointments(customer_for_user(self.request.user))

    @extend_schema(
        summary="My appointments",
        description="Every appointment, latest first, cancelled ones included.",
        responses={200: AppointmentSerializer(many=True), 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Book an appointment",
        description=(
            "Books the first associate free for the whole slot. A time that has "
            "passed, is outside the shop's hours or off its slot grid is a 400 on "
            "`starts_at`; an unknown shop a 400 on `shop`; a full slot a 409."
        ),
        request=AppointmentCreateSerializer,
        responses={
            201: AppointmentSerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request, *args, **kwargs):
        customer = customer_for_user(request.user)
        data = validated(AppointmentCreateSerializer, request)
        appointment = book_appointment(
            customer=customer,
            location=data["shop"],
            kind=data["kind"],
            starts_at=data["starts_at"],
            note=data.get("note", ""),
            channel=request_channel(request),
            actor=request.user,
        )
        return Response(
            AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED
        )


def _own(request, pk: int) -> Appointment:
    customer = customer_for_user(request.user)
    appointment = customer_appointments(customer).filter(pk=pk).first()
    if appointment is None:
        raise NotFound("No such appointment.")
    return appointment


class MyAppointmentView(APIView):
    @extend_schema(
        summary="One of my appointments",
        responses={200: AppointmentSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, pk: int):
        return Response(AppointmentSerializer(_own(request, pk)).data)


class MyAppointmentCancelView(APIView):
    @extend_schema(
        summary="Cancel my appointment",
        description="Only before it starts; the associate's time is given back.",
        request=AppointmentCancelSerializer,
        responses={
            200: AppointmentSerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request, pk: int):
        appointment = _own(request, pk)
        data = validated(AppointmentCancelSerializer, request)
        appointment = cancel_appointment(
            appointment=appointment,
            actor=request.user,
            reason=data.get("reason", ""),
            channel=request_channel(request),
            by_customer=True,
        )
        appointment = customer_appointments(appointment.customer).get(pk=appointment.pk)
        return Response(AppointmentSerializer(appointment).data)
