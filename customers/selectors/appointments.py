"""Reads for appointments: the bookable slots of a shop, a customer's appointments,
an associate's or a shop's calendar, and a customer's no-shows.

Times are stored in UTC and shown in the shop's time zone. Locations have no zone of
their own, so a shop's zone is the project's (``TIME_ZONE``): every shop is in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from customers.models import (
    Appointment,
    AppointmentBlock,
    AppointmentHours,
    AppointmentKind,
    AppointmentStaff,
    AppointmentStatus,
    Customer,
)
from customers.models.appointments import BLOCK_MINUTES
from inventory.models import Location, LocationKind
from omnistore.core.exceptions import NotFound, ValidationFailed

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Appointments that hold an associate's time (a cancelled one gave it back).
ACTIVE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
)


def shop_timezone(location: Location | None = None) -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def slot_step() -> timedelta:
    return timedelta(minutes=settings.OMNISTORE_APPOINTMENT_SLOT_MINUTES)


def appointment_length(kind: str) -> timedelta:
    """How long an appointment of ``kind`` takes; an unknown kind is a field error."""
    minutes = settings.OMNISTORE_APPOINTMENT_MINUTES.get(kind)
    if kind not in AppointmentKind.values or not minutes:
        raise ValidationFailed(
            f"Unknown kind of appointment '{kind}'.",
            extra={"kind": [f"Must be one of: {', '.join(AppointmentKind.values)}."]},
        )
    return timedelta(minutes=minutes)


def block_starts(starts_at: datetime, ends_at: datetime) -> list[datetime]:
    """The cells of the clock an appointment touches, the rows of ``AppointmentBlock``:
    every ``BLOCK_MINUTES`` from midnight UTC, from the cell holding the start to the
    one holding the end's last moment. The cells are the same for every shop whatever
    minute it opens at, so two appointments of one associate that overlap share one
    and the unique (associate, start) refuses the second; back to back they share
    none."""
    cell = timedelta(minutes=BLOCK_MINUTES)
    at = _EPOCH + (starts_at - _EPOCH) // cell * cell
    starts = []
    while at < ends_at:
        starts.append(at)
        at += cell
    return starts


def bookable_shop(pk) -> Location:
    """An active shop by id; anything else (a warehouse, a closed shop) is 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such shop.") from None
    shop = Location.objects.filter(pk=pk, kind=LocationKind.SHOP, active=True).first()
    if shop is None:
        raise NotFound("No such shop.")
    return shop


def check_bookable_day(day: date, *, location: Location, now: datetime) -> None:
    """A day in the past or beyond the booking horizon is a field error."""
    today = timezone.localtime(now, shop_timezone(location)).date()
    if day < today:
        raise ValidationFailed(
            "This day has passed.", extra={"date": ["Choose today or a later day."]}
        )
    horizon = settings.OMNISTORE_APPOINTMENT_HORIZON_DAYS
    if day > today + timedelta(days=horizon):
        raise ValidationFailed(
            f"Appointments can be booked up to {horizon} days ahead.",
            extra={"date": [f"At most {horizon} days ahead."]},
        )


@dataclass
class Slot:
    starts_at: datetime
    ends_at: datetime
    free_associates: list[int] = field(default_factory=list)

    @property
    def available(self) -> int:
        return len(self.free_associates)


def appointment_slots(
    *, location: Location, kind: str, day: date, now: datetime | None = None
) -> list[Slot]:
    """Every start within the shop's hours on ``day`` where the appointment fits
    before closing, later than ``now``, with the associates free for all of it.
    Three queries, whatever the number of associates and bookings."""
    now = now or timezone.now()
    length = appointment_length(kind)
    hours = AppointmentHours.objects.filter(
        location=location, weekday=day.weekday()
    ).first()
    if hours is None:
        return []
    zone = shop_timezone(location)
    opens = datetime.combine(day, hours.opens, tzinfo=zone)
    closes = datetime.combine(day, hours.closes, tzinfo=zone)
    staff = list(
        AppointmentStaff.objects.filter(
            location=location, active=True, user__is_active=True
        )
        .order_by("pk")
        .values_list("user_id", flat=True)
    )
    taken = set()
    if staff:
        cells = block_starts(opens, closes)
        taken = set(
            AppointmentBlock.objects.filter(
                associate_id__in=staff,
                starts_at__gte=cells[0],
                starts_at__lte=cells[-1],
            ).values_list("associate_id", "starts_at")
        )
    slots, start, step = [], opens, slot_step()
    while start + length <= closes:
        if start > now:
            blocks = block_starts(start, start + length)
            free = [a for a in staff if not any((a, b) in taken for b in blocks)]
            slots.append(Slot(start, start + length, free))
        start += step
    return slots


def customer_appointments(customer: Customer) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(customer=customer)
        .select_related("location", "associate")
        .order_by("-starts_at", "-id")
    )


def upcoming_count(customer: Customer, *, now: datetime) -> int:
    return Appointment.objects.filter(
        customer=customer, status=AppointmentStatus.BOOKED, starts_at__gt=now
    ).count()


def no_show_count(customer: Customer) -> int:
    return Appointment.objects.filter(
        customer=customer, status=AppointmentStatus.NO_SHOW
    ).count()


def calendar_range(day: date, view: str, location=None) -> tuple[date, list[date]]:
    """The days a calendar shows: ``day`` alone, or its week from Monday."""
    if view == "week":
        first = day - timedelta(days=day.weekday())
        return first, [first + timedelta(days=i) for i in range(7)]
    return day, [day]


def calendar_appointments(
    *, days: list[date], location: Location, associate=None
) -> QuerySet[Appointment]:
    """Appointments of a shop (or of one associate there) on ``days``, with what a
    calendar card shows, in one query; cancelled ones included (struck through)."""
    zone = shop_timezone(location)
    start = datetime.combine(days[0], time.min, tzinfo=zone)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=zone)
    rows = Appointment.objects.filter(
        location=location, starts_at__gte=start, starts_at__lt=end
    )
    if associate is not None:
        rows = rows.filter(associate=associate)
    return rows.select_related(
        "customer", "associate", "arrived_by", "closed_by"
    ).order_by("starts_at", "associate_id", "id")


def group_by_day(appointments, days: list[date], location=None) -> list[dict]:
    """``[{"day": date, "appointments": [...]}]`` in the shop's time zone."""
    zone = shop_timezone(location)
    by_day: dict[date, list] = {d: [] for d in days}
    for appointment in appointments:
        local = timezone.localtime(appointment.starts_at, zone).date()
        by_day.setdefault(local, []).append(appointment)
    return [{"day": d, "appointments": by_day[d]} for d in days]


def shop_appointment_staff(location: Location):
    return (
        AppointmentStaff.objects.filter(location=location, active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "pk")
    )


def customer_appointment_summary(customer: Customer, *, now: datetime, limit=3):
    """The 360° card: the next booked appointments (any shop) and the counts of
    held ones and no-shows, in two queries."""
    upcoming = list(
        Appointment.objects.filter(
            customer=customer, status=AppointmentStatus.BOOKED, ends_at__gt=now
        )
        .select_related("location", "associate")
        .order_by("starts_at", "id")[:limit]
    )
    counts = Appointment.objects.filter(customer=customer).aggregate(
        no_shows=Count("pk", filter=Q(status=AppointmentStatus.NO_SHOW)),
        completed=Count("pk", filter=Q(status=AppointmentStatus.COMPLETED)),
        cancelled=Count("pk", filter=Q(status=AppointmentStatus.CANCELLED)),
    )
    return {"upcoming": upcoming, **counts}


def appointment_at_shops(pk, shop_ids) -> Appointment | None:
    """An appointment by id among the shops a login sees (``None``: every shop)."""
    rows = Appointment.objects.select_related("customer", "associate", "location")
    if shop_ids is not None:
        rows = rows.filter(location_id__in=shop_ids)
    return rows.filter(pk=pk).first()
