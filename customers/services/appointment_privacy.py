"""Appointments in a person's data (a part of this app's entry in
``customers.privacy``, see ``services.erasure.personal_data``): exported with everything else, and on erasure
their notes go and the upcoming ones are cancelled (the associate's time comes back);
where, when, with whom and how it went stay for the shop's books."""

from __future__ import annotations

from django.utils import timezone

from customers.models import Appointment, AppointmentBlock, AppointmentStatus
from customers.privacy import Erasure, Texts


def export_appointments(customer_ids: tuple[int, ...]) -> dict:
    rows = (
        Appointment.objects.filter(customer_id__in=customer_ids)
        .select_related("location")
        .order_by("starts_at", "id")
    )
    return {
        "appointments": [
            {
                "id": a.pk,
                "kind": a.kind,
                "status": a.status,
                "shop": a.location.name,
                "starts_at": a.starts_at.isoformat(),
                "ends_at": a.ends_at.isoformat(),
                "note": a.note,
                "channel": a.channel,
                "created_at": a.created_at.isoformat(),
                "cancelled_at": a.cancelled_at.isoformat() if a.cancelled_at else None,
                "cancel_reason": a.cancel_reason,
            }
            for a in rows
        ]
    }


def erase_appointments(erasure: Erasure) -> None:
    ids = erasure.customer_ids
    upcoming = Appointment.objects.filter(
        customer_id__in=ids,
        status=AppointmentStatus.BOOKED,
        starts_at__gt=erasure.now or timezone.now(),
    )
    AppointmentBlock.objects.filter(appointment__in=upcoming).delete()
    upcoming.update(
        status=AppointmentStatus.CANCELLED,
        cancelled_at=erasure.now,
        cancelled_by=erasure.actor
        if getattr(erasure.actor, "is_authenticated", False)
        else None,
    )
    Appointment.objects.filter(customer_id__in=ids).update(note="", cancel_reason="")


# How erasure treats the appointment tables (part of this app's registry entry).
APPOINTMENT_TEXTS = {
    Appointment: Texts(
        erased=("note", "cancel_reason"), kept=("kind", "status", "channel")
    ),
    AppointmentBlock: Texts(),
}
