"""Demo appointments: every shop takes appointments Monday to Saturday with its shop
staff; the demo shop's calendar has a morning of bookings today, a few in the coming
days (one for the demo customer), and some held and missed last week."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from customers.models import (
    AppointmentHours,
    AppointmentKind,
    AppointmentStaff,
    AppointmentStatus,
    Customer,
)
from customers.selectors.appointments import appointment_slots, shop_timezone
from customers.services.appointments import (
    book_appointment,
    mark_arrived,
    mark_completed,
    mark_no_show,
)
from inventory.models import Location
from omnistore.accounts.models import SHOP_ROLES, User
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ApplicationError

OPENS, CLOSES = time(10), time(19)
NOTES = [
    "Looking for a linen suit for a wedding",
    "Hem the trousers bought last week",
    "Capsule wardrobe for a new job",
    "Try the new season's jackets in size 48",
    "",
]


def _set_up(shop: Location) -> list[User]:
    for weekday in range(6):  # Sunday closed
        AppointmentHours.objects.get_or_create(
            location=shop, weekday=weekday, defaults={"opens": OPENS, "closes": CLOSES}
        )
    staff = list(
        User.objects.filter(store=shop, role__in=SHOP_ROLES, is_active=True).order_by(
            "pk"
        )[:3]
    )
    for user in staff:
        AppointmentStaff.objects.get_or_create(location=shop, user=user)
    return staff


def _book(customer, shop, kind, when: datetime, rng, *, channel=Channel.WEB):
    """Book ``when`` as if done two days before (so a past day can be seeded)."""
    booked_at = when - timedelta(days=2)
    slots = appointment_slots(location=shop, kind=kind, day=when.date(), now=booked_at)
    if not any(s.starts_at == when and s.available for s in slots):
        return None
    try:
        return book_appointment(
            customer=customer,
            location=shop,
            kind=kind,
            starts_at=when,
            channel=channel,
            note=rng.choice(NOTES),
            now=booked_at,
        )
    except ApplicationError:  # the customer is booked then already: seed another
        return None


def seed_appointments(
    *, shops: list[Location], demo_customer: Customer, home: Location, rng=None
) -> int:
    """Hours and staff for every shop; bookings at ``home``. Returns how many."""
    rng = rng or random.Random(11)
    for shop in shops:
        _set_up(shop)
    if not AppointmentStaff.objects.filter(location=home).exists():
        return 0
    zone = shop_timezone(home)
    now = timezone.now()
    today = timezone.localtime(now, zone).date()
    customers = list(
        Customer.objects.filter(preferred_store=home, is_anonymised=False)
        .exclude(pk=demo_customer.pk)
        .order_by("pk")[:24]
    )
    if len(customers) < 12:
        customers += list(Customer.objects.exclude(pk=demo_customer.pk)[:24])
    kinds = [AppointmentKind.STYLING, AppointmentKind.FITTING]
    made = []
    plan = [(0, h, m) for h, m in ((10, 0), (10, 30), (11, 0), (12, 0), (15, 30))]
    plan += [(d, h, 0) for d in (1, 2, 3, 5) for h in (11, 14, 16)]
    plan += [(-d, h, 0) for d in (1, 2, 5, 6) for h in (10, 12, 17)]
    for index, (offset, hour, minute) in enumerate(plan):
        day = today + timedelta(days=offset)
        if day.weekday() == 6:
            continue
        when = datetime.combine(day, time(hour, minute), tzinfo=zone)
        customer = customers[index % len(customers)]
        appointment = _book(customer, home, kinds[index % 2], when, rng)
        if appointment is not None:
            made.append(appointment)
    demo_day = today + timedelta(days=2 if (today.weekday() + 2) % 7 != 6 else 3)
    mine = _book(
        demo_customer,
        home,
        AppointmentKind.STYLING,
        datetime.combine(demo_day, time(15), tzinfo=zone),
        rng,
        channel=Channel.APP,
    )
    made += [mine] if mine else []
    for appointment in made:
        _close_if_past(appointment, now=now, rng=rng)
    return len(made)


def _close_if_past(appointment, *, now, rng) -> None:
    """What happened at the past ones: most were held, some were missed."""
    if appointment.ends_at > now or appointment.status != AppointmentStatus.BOOKED:
        return
    who = appointment.associate
    if rng.random() < 0.2:
        mark_no_show(appointment=appointment, actor=who, now=appointment.ends_at)
        return
    mark_arrived(appointment=appointment, actor=who, now=appointment.starts_at)
    mark_completed(appointment=appointment, actor=who, now=appointment.ends_at)
