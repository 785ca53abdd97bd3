"""A pickup is kept until the end of the day the customer is told to collect it by,
in the shop's time zone: "collect by Saturday 12 December" holds all that Saturday,
whatever the clock time the order was made ready."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from orders.models import OrderStatus
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.pickups import expire_uncollected_pickups, send_pickup_reminders
from tests.orders.factories import deliver_outbox, pickup_order, shop, stocked

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")


def rome(*args) -> datetime:
    return datetime(*args, tzinfo=ROME)


@pytest.fixture(autouse=True)
def _shop_clock(settings):
    settings.TIME_ZONE = "Europe/Rome"
    settings.OMNISTORE_PICKUP_EXPIRY_DAYS = 7
    settings.OMNISTORE_PICKUP_REMINDER_DAYS = 2


@pytest.fixture
def ready_at_teatime():
    """A pickup made ready at 15:42 on Saturday 5 December 2026."""
    store = shop(name="Milano Duomo")
    order = pickup_order(store=store, lines=[(stocked(store, 2), 1)])
    mark_picked(order=order, now=rome(2026, 12, 5, 15, 30))
    return mark_ready(order=order, now=rome(2026, 12, 5, 15, 42))


def test_the_pickup_is_kept_until_the_promised_day_has_ended(ready_at_teatime):
    order = ready_at_teatime
    expires = order.pickup_expires_at.astimezone(ROME)
    assert (expires.date(), expires.hour, expires.minute) == (
        rome(2026, 12, 12).date(),
        23,
        59,
    )
    deliver_outbox()
    (ready,) = [m for m in mail.outbox if "ready for pickup" in m.subject]
    assert "Please collect it by Saturday 12 December 2026" in ready.body

    assert expire_uncollected_pickups(now=rome(2026, 12, 12, 16, 12)) == []
    assert expire_uncollected_pickups(now=rome(2026, 12, 12, 23, 30)) == []
    order.refresh_from_db()
    assert order.status == OrderStatus.READY

    assert expire_uncollected_pickups(now=rome(2026, 12, 13, 0, 5)) == [order.number]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_the_reminder_names_the_same_day_as_the_end(ready_at_teatime):
    order = ready_at_teatime

    assert send_pickup_reminders(now=rome(2026, 12, 11, 9, 0)) == [order.number]

    deliver_outbox()
    (reminder,) = [m for m in mail.outbox if "waiting" in m.subject]
    assert "Please collect it by Saturday 12 December 2026" in reminder.body


def test_across_the_clock_change_the_day_still_ends_at_midnight_local():
    store = shop()
    order = pickup_order(store=store, lines=[(stocked(store, 2), 1)])
    mark_picked(order=order)
    order = mark_ready(order=order, now=rome(2026, 10, 21, 9, 0))

    expires = order.pickup_expires_at.astimezone(ROME)
    assert (expires.day, expires.hour, expires.minute) == (28, 23, 59)
    assert expires.utcoffset().total_seconds() == 3600  # winter time by then


@pytest.mark.parametrize(
    ("ready_at", "last_day"),
    [
        # the clocks go back on Sunday 25 October 2026, forward on 29 March 2026
        (rome(2026, 10, 19, 0, 30), rome(2026, 10, 26)),
        (rome(2026, 3, 22, 23, 30), rome(2026, 3, 29)),
    ],
)
def test_a_change_of_the_clocks_keeps_a_pickup_seven_days(ready_at, last_day):
    store = shop(name="Milano Duomo")
    order = pickup_order(store=store, lines=[(stocked(store, 2), 1)])
    mark_picked(order=order, now=ready_at)
    order = mark_ready(order=order, now=ready_at.astimezone(ZoneInfo("UTC")))

    assert order.pickup_expires_at.astimezone(ROME).date() == last_day.date()
