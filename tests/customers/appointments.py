"""Shared set-up for appointment tests: a shop open 10:00–18:00 every day with
associates taking appointments, and a fixed "now" so slots do not depend on the
clock."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from customers.models import AppointmentHours, AppointmentStaff
from tests.factories import LocationFactory, StaffFactory

ROME = ZoneInfo("Europe/Rome")
# A Monday morning, before the shop opens.
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=ROME)
TOMORROW = date(2026, 12, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ROME)


def open_shop(*, associates: int = 1, name="Milano Centro", **kwargs):
    """A shop taking appointments 10:00–18:00 every day, with ``associates``
    associates who take them; returns (shop, [associates])."""
    shop = LocationFactory(name=name, **kwargs)
    for weekday in range(7):
        AppointmentHours.objects.create(
            location=shop, weekday=weekday, opens=time(10), closes=time(18)
        )
    staff = [
        StaffFactory(store=shop, first_name=f"Sara{i}", last_name="Conti")
        for i in range(associates)
    ]
    for user in staff:
        AppointmentStaff.objects.create(location=shop, user=user)
    return shop, staff


def days_after(day: date, n: int) -> date:
    return day + timedelta(days=n)
