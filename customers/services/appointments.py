"""Appointments at a shop: book, cancel, arrive, complete, no-show, remind.

Booking locks the shop's ``AppointmentStaff`` rows (in pk order), so the bookings of
one shop queue up and each sees the one before; the ``AppointmentBlock`` unique key
(associate, start) is the database's last word when an associate who also works at
another shop is booked there at an overlapping time: blocks are cells of the clock
(``block_starts``), so two overlapping appointments meet in one whatever minute
either shop opens at. A slot thus never takes more bookings than it has associates
free.

A customer holds one live appointment at a time: booking takes the customer's row
lock (``lock_live_profile``) before it looks for an overlapping one, so the same
booking sent twice, or from two shops at once, books once.

Status changes are one conditional UPDATE each (``WHERE status IN (...)``): two
clicks at once change the row once, the second is told the step is no longer
possible. Every step is stamped (who, when) and lands on the customer's timeline.
A customer is marked arrived from ``ARRIVAL_WINDOW`` before the start (not days
ahead by a slip of the finger); completed and no-show only once it has started.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from customers.models import (
    Appointment,
    AppointmentBlock,
    AppointmentChannel,
    AppointmentStaff,
    AppointmentStatus,
    Customer,
    CustomerIdentity,
    IdentityKind,
    MessageChannel,
)
from customers.selectors.appointments import (
    ACTIVE_STATUSES,
    appointment_length,
    appointment_slots,
    block_starts,
    check_bookable_day,
    shop_timezone,
    upcoming_count,
)
from customers.selectors.identities import current_profile
from customers.services.identities import lock_live_profile
from customers.services.inbox import reply_address
from customers.services.texting import send_text
from customers.services.timeline import record_event
from inventory.models import Location, LocationKind
from omnistore.core import outbox
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import Conflict, IllegalTransition, ValidationFailed

logger = logging.getLogger(__name__)

EVENT_APPOINTMENT_BOOKED = "appointment_booked"
EVENT_APPOINTMENT_CANCELLED = "appointment_cancelled"
EVENT_APPOINTMENT_COMPLETED = "appointment_completed"
EVENT_APPOINTMENT_NO_SHOW = "appointment_no_show"
EVENT_APPOINTMENT_REMINDED = "appointment_reminder"
REMINDER_TOPIC = "customers.appointment_reminder"
# Upcoming appointments one customer may hold at once (a runaway client, a prank).
MAX_UPCOMING = 5
NOTE_MAX = 500
REASON_MAX = 250
# How early a customer may be marked arrived: early for a fitting, not the day before.
ARRIVAL_WINDOW = timedelta(minutes=60)


def _when(appointment: Appointment) -> str:
    local = timezone.localtime(appointment.starts_at, shop_timezone())
    return f"{local:%a %d %b %Y, %H:%M}"


def _summary(appointment: Appointment, what: str) -> str:
    return (
        f"{appointment.get_kind_display()} appointment {what}: "
        f"{_when(appointment)} at {appointment.location.name}"
    )


def _record(appointment: Appointment, kind: str, summary: str, *, actor, channel=""):
    record_event(
        customer=appointment.customer,
        kind=kind,
        summary=summary,
        actor=actor,
        location=appointment.location,
        channel=channel,
        data={"appointment_id": appointment.pk, "kind": appointment.kind},
        reference_type="appointment",
        reference_id=str(appointment.pk),
    )


def _check_note(note: str) -> str:
    note = " ".join(str(note or "").split())
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            "Keep the note short.", extra={"note": [f"At most {NOTE_MAX} characters."]}
        )
    return note


def _check_start(
    starts_at, *, location: Location, kind: str, now: datetime
) -> tuple[datetime, list[int]]:
    """The start as an aware time; refused when it has passed, is out of the horizon
    or is not one of the shop's slots. Returns it with the associates free then."""
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise ValidationFailed(
            "Give the start with its time zone.",
            extra={"starts_at": ["A date and time with a time zone offset."]},
        )
    if starts_at <= now:
        raise ValidationFailed(
            "This time has passed.", extra={"starts_at": ["Choose a later time."]}
        )
    local = timezone.localtime(starts_at, shop_timezone(location))
    check_bookable_day(local.date(), location=location, now=now)
    slot = next(
        (
            s
            for s in appointment_slots(
                location=location, kind=kind, day=local.date(), now=now
            )
            if s.starts_at == local
        ),
        None,
    )
    if slot is None:
        raise ValidationFailed(
            "The shop takes no appointment at this time.",
            code="outside_hours",
            extra={"starts_at": ["Not one of this shop's appointment slots."]},
        )
    return local, slot.free_associates


def _shop(location) -> Location:
    pk = getattr(location, "pk", location)
    shop = Location.objects.filter(pk=pk, kind=LocationKind.SHOP, active=True).first()
    if shop is None:
        raise ValidationFailed(
            "No such shop.", extra={"shop": ["Not a shop that takes appointments."]}
        )
    return shop


@transaction.atomic
def book_appointment(
    *,
    customer: Customer,
    location: Location | int,
    kind: str,
    starts_at: datetime,
    channel: str,
    note: str = "",
    associate=None,
    actor=None,
    now: datetime | None = None,
) -> Appointment:
    """Book the first associate free for the whole slot (or the one asked for).

    Refused with a field error for a bad kind, shop or time, with 409
    ``customer_busy`` when the customer has an appointment overlapping it,
    ``slot_full`` when nobody is free, ``too_many`` past ``MAX_UPCOMING``.
    """
    now = now or timezone.now()
    if channel not in AppointmentChannel.values:
        raise ValidationFailed(
            f"Unknown channel '{channel}'.", extra={"channel": ["Not a channel."]}
        )
    length = appointment_length(kind)
    note = _check_note(note)
    shop = _shop(location)
    customer = lock_live_profile(customer)
    # The queue for this shop: every booking here takes these locks in pk order.
    list(
        AppointmentStaff.objects.select_for_update()
        .filter(location=shop, active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    starts_at, free = _check_start(starts_at, location=shop, kind=kind, now=now)
    _check_free(customer, starts_at=starts_at, ends_at=starts_at + length)
    if associate is not None:
        wanted = getattr(associate, "pk", associate)
        if wanted not in free:
            raise Conflict(
                "This associate is not free then.",
                code="associate_busy",
                extra={"associate": ["Busy or not taking appointments here."]},
            )
        free = [wanted]
    if not free:
        raise Conflict(
            "This slot is fully booked.",
            code="slot_full",
            extra={"starts_at": ["Fully booked; choose another time."]},
        )
    if upcoming_count(customer, now=now) >= MAX_UPCOMING:
        raise Conflict(
            f"At most {MAX_UPCOMING} upcoming appointments at a time.",
            code="too_many",
        )
    appointment = _take_first_free(
        customer=customer,
        shop=shop,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + length,
        free=free,
        note=note,
        channel=channel,
        actor=actor,
        now=now,
    )
    _record(
        appointment,
        EVENT_APPOINTMENT_BOOKED,
        _summary(appointment, "booked") + f" with {appointment.associate.first_name}",
        actor=actor,
        channel=channel,
    )
    return appointment


def _check_free(customer: Customer, *, starts_at, ends_at) -> None:
    """The customer (locked by the caller) has no live appointment overlapping this
    one, at this shop or another: a customer is in one place at a time."""
    clash = (
        Appointment.objects.filter(
            customer=customer,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .select_related("location")
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise Conflict(
            "The customer already has an appointment at this time.",
            code="customer_busy",
            extra={
                "starts_at": [
                    f"Already booked: {clash.get_kind_display().lower()} "
                    f"{_when(clash)} at {clash.location.name}."
                ]
            },
        )


def _take_first_free(*, customer, shop, kind, starts_at, ends_at, free, **fields):
    """Write the appointment and its blocks for the first associate whose blocks go
    in; a unique-key clash (booked meanwhile at another shop) tries the next one."""
    blocks = block_starts(starts_at, ends_at)
    for associate_id in free:
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    customer=customer,
                    location=shop,
                    associate_id=associate_id,
                    kind=kind,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    note=fields["note"],
                    channel=fields["channel"],
                    booked_by=acting_user(fields["actor"]),
                    created_at=fields["now"],
                )
                AppointmentBlock.objects.bulk_create(
                    AppointmentBlock(
                        appointment=appointment, associate_id=associate_id, starts_at=b
                    )
                    for b in blocks
                )
        except IntegrityError:
            continue
        return Appointment.objects.select_related("location", "associate").get(
            pk=appointment.pk
        )
    raise Conflict(
        "This slot is fully booked.",
        code="slot_full",
        extra={"starts_at": ["Fully booked; choose another time."]},
    )


def _move(appointment: Appointment, *, source, target: str, **stamps) -> Appointment:
    """One conditional UPDATE from ``source`` statuses to ``target``; refused when
    the row moved meanwhile."""
    moved = Appointment.objects.filter(pk=appointment.pk, status__in=source).update(
        status=target, **stamps
    )
    if not moved:
        current = Appointment.objects.values_list("status", flat=True).get(
            pk=appointment.pk
        )
        raise IllegalTransition(obj="The appointment", current=current, target=target)
    appointment.refresh_from_db()
    return appointment


@transaction.atomic
def cancel_appointment(
    *,
    appointment: Appointment,
    actor=None,
    reason: str = "",
    channel: str = "",
    by_customer: bool = False,
    now: datetime | None = None,
) -> Appointment:
    """Cancel a booked appointment and give the associate's time back. A customer
    cancels only before the start; staff at any time until it is closed."""
    now = now or timezone.now()
    reason = " ".join(str(reason or "").split())
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            "Keep the reason short.",
            extra={"reason": [f"At most {REASON_MAX} characters."]},
        )
    if by_customer and appointment.starts_at <= now:
        raise Conflict(
            "An appointment that has started can no longer be cancelled.",
            code="started",
        )
    appointment = _move(
        appointment,
        source=[AppointmentStatus.BOOKED],
        target=AppointmentStatus.CANCELLED,
        cancelled_at=now,
        cancelled_by=acting_user(actor),
        cancel_reason=reason,
    )
    AppointmentBlock.objects.filter(appointment=appointment).delete()
    who = "by the customer" if by_customer else "by the shop"
    _record(
        appointment,
        EVENT_APPOINTMENT_CANCELLED,
        _summary(appointment, f"cancelled {who}") + (f" ({reason})" if reason else ""),
        actor=actor,
        channel=channel,
    )
    return appointment


@transaction.atomic
def mark_arrived(*, appointment: Appointment, actor, now=None) -> Appointment:
    """The customer came: from ``ARRIVAL_WINDOW`` before the start."""
    now = now or timezone.now()
    if now < appointment.starts_at - ARRIVAL_WINDOW:
        minutes = int(ARRIVAL_WINDOW.total_seconds() // 60)
        raise Conflict(
            f"A customer can be marked arrived from {minutes} minutes before "
            "the appointment.",
            code="too_early",
        )
    return _move(
        appointment,
        source=[AppointmentStatus.BOOKED],
        target=AppointmentStatus.ARRIVED,
        arrived_at=now,
        arrived_by=acting_user(actor),
    )


@transaction.atomic
def mark_completed(*, appointment: Appointment, actor, now=None) -> Appointment:
    """The appointment was held: only once it has started."""
    now = now or timezone.now()
    if appointment.starts_at > now:
        raise Conflict(
            "An appointment can only be completed once it has started.",
            code="not_started",
        )
    appointment = _move(
        appointment,
        source=[AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED],
        target=AppointmentStatus.COMPLETED,
        closed_at=now,
        closed_by=acting_user(actor),
    )
    _record(
        appointment,
        EVENT_APPOINTMENT_COMPLETED,
        _summary(appointment, "held") + f" with {appointment.associate.first_name}",
        actor=actor,
        channel=AppointmentChannel.STORE,
    )
    return appointment


@transaction.atomic
def mark_no_show(*, appointment: Appointment, actor, now=None) -> Appointment:
    """The customer did not come: only once the start has passed."""
    now = now or timezone.now()
    if appointment.starts_at > now:
        raise Conflict(
            "A no-show can only be recorded once the appointment has started.",
            code="not_started",
        )
    appointment = _move(
        appointment,
        source=[AppointmentStatus.BOOKED],
        target=AppointmentStatus.NO_SHOW,
        closed_at=now,
        closed_by=acting_user(actor),
    )
    _record(
        appointment,
        EVENT_APPOINTMENT_NO_SHOW,
        _summary(appointment, "missed (no-show)"),
        actor=actor,
        channel=AppointmentChannel.STORE,
    )
    return appointment


# --- Reminders --------------------------------------------------------------------------


def send_appointment_reminders(*, now: datetime | None = None) -> list[int]:
    """Queue a reminder for each booked appointment starting within
    ``OMNISTORE_APPOINTMENT_REMINDER_HOURS``. Each is reminded once: the conditional
    UPDATE of ``reminder_sent_at`` lets one run claim it (and the outbox dedupe key
    backs it), so a second run, or two at once, sends nothing more."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.OMNISTORE_APPOINTMENT_REMINDER_HOURS)
    due = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=horizon,
    ).values_list("pk", flat=True)
    return [pk for pk in list(due) if _remind(pk, now)]


@transaction.atomic
def _remind(pk: int, now: datetime) -> bool:
    claimed = Appointment.objects.filter(
        pk=pk, status=AppointmentStatus.BOOKED, reminder_sent_at__isnull=True
    ).update(reminder_sent_at=now)
    if not claimed:
        return False
    appointment = Appointment.objects.select_related("location").get(pk=pk)
    outbox.enqueue(
        REMINDER_TOPIC, {"appointment_id": pk}, dedupe_key=f"{REMINDER_TOPIC}:{pk}"
    )
    _record(
        appointment,
        EVENT_APPOINTMENT_REMINDED,
        _summary(appointment, "reminder sent"),
        actor=None,
    )
    return True


@outbox.handler(REMINDER_TOPIC)
def deliver_appointment_reminder(payload: dict) -> None:
    """Email the customer (a service message about their own booking), and text
    them when they agreed to SMS; each only to an address or number they proved or
    gave in person. A cancelled or erased booking sends nothing."""
    appointment = (
        Appointment.objects.select_related("customer", "location", "associate")
        .filter(pk=payload["appointment_id"], status=AppointmentStatus.BOOKED)
        .first()
    )
    if appointment is None or appointment.customer.is_anonymised:
        return
    customer = current_profile(appointment.customer)
    context = {
        "appointment": appointment,
        "customer": customer,
        "when": _when(appointment),
    }
    email = _reminder_email(customer)
    if email:
        EmailMessage(
            subject=f"Reminder: your appointment on {_when(appointment)}",
            body=render_to_string("customers/email/appointment_reminder.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
        ).send()
    # As an associate's reply: with the SMS consent, to a number proven or given in
    # person.
    phone = reply_address(customer, MessageChannel.SMS)
    if phone:
        result = send_text(
            message_id=appointment.pk,
            to=phone,
            body=(
                f"Reminder: {appointment.get_kind_display().lower()} appointment "
                f"{_when(appointment)} at {appointment.location.name}."
            ),
        )
        if not result.ok:
            logger.warning(
                "appointment %s: SMS refused: %s", appointment.pk, result.error
            )


def _reminder_email(customer: Customer) -> str:
    """The profile's email when the customer proved it or gave it in person
    (``CustomerIdentity.proven_q``, the rule campaigns and replies follow), else "".
    A reminder needs no consent, being about their own booking, but one typed
    online and never proven may be someone else's, who would learn of the booking."""
    proven = CustomerIdentity.objects.filter(
        CustomerIdentity.proven_q(),
        customer=customer,
        kind=IdentityKind.EMAIL,
        value=customer.email,
    )
    return customer.email if customer.email and proven.exists() else ""
