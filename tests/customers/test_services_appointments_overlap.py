"""An associate sees one customer at a time whatever minute a shop's appointment
hours start at: a shop opening at 10:15, or two shops of one associate opening at
different minutes, never offer or book a time overlapping the associate's bookings,
and the database refuses an overlap the listing did not see."""

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction

from customers.models import (
    Appointment,
    AppointmentBlock,
    AppointmentHours,
    AppointmentStaff,
)
from customers.selectors.appointments import appointment_slots, block_starts
from customers.services.appointments import book_appointment
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from tests.customers.appointments import NOW, TOMORROW, at, open_shop
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db


def book(shop, starts_at, kind="fitting", email="a@example.com", **kwargs):
    return book_appointment(
        customer=make_customer(email=email),
        location=shop,
        kind=kind,
        starts_at=starts_at,
        channel=Channel.WEB,
        now=NOW,
        **kwargs,
    )


def open_at(shop, opens: time) -> None:
    AppointmentHours.objects.filter(location=shop, weekday=TOMORROW.weekday()).update(
        opens=opens
    )


def free(shop, kind) -> dict:
    return {
        slot.starts_at: slot.free_associates
        for slot in appointment_slots(location=shop, kind=kind, day=TOMORROW, now=NOW)
    }


def test_a_shop_opening_at_a_quarter_past_offers_no_time_overlapping_a_booking():
    shop, [sara] = open_shop()
    book(shop, at(TOMORROW, 10), email="a@example.com")
    book(shop, at(TOMORROW, 11), email="b@example.com")
    open_at(shop, time(10, 15))

    stylings = free(shop, "styling")
    assert stylings[at(TOMORROW, 10, 15)] == []  # over 10:00–10:30 and 11:00–11:30
    assert stylings[at(TOMORROW, 10, 45)] == []  # over 11:00–11:30
    assert stylings[at(TOMORROW, 11, 15)] == []  # over 11:00–11:30
    assert stylings[at(TOMORROW, 11, 45)] == [sara.pk]
    with pytest.raises(Conflict) as refused:
        book(shop, at(TOMORROW, 10, 15), "styling", email="c@example.com")
    assert refused.value.code == "slot_full"
    assert sara.appointments_to_attend.count() == 2


def test_an_overlapping_booking_goes_to_another_associate_free_then():
    shop, [sara, luca] = open_shop(associates=2)
    book(shop, at(TOMORROW, 10), email="a@example.com", associate=sara)
    book(shop, at(TOMORROW, 11), email="b@example.com", associate=sara)
    open_at(shop, time(10, 15))

    assert free(shop, "styling")[at(TOMORROW, 10, 15)] == [luca.pk]
    appointment = book(shop, at(TOMORROW, 10, 15), "styling", email="c@example.com")
    assert appointment.associate == luca
    with pytest.raises(Conflict) as refused:
        book(shop, at(TOMORROW, 10, 15), "fitting", email="d@example.com")
    assert refused.value.code == "slot_full"


def test_an_associate_of_two_shops_opening_at_different_minutes_is_booked_once():
    milano, [sara] = open_shop(name="Milano Centro")
    monza, _ = open_shop(name="Monza", associates=0)
    AppointmentStaff.objects.create(location=monza, user=sara)
    open_at(monza, time(10, 15))
    book(milano, at(TOMORROW, 10), "styling", email="a@example.com")

    at_monza = free(monza, "fitting")
    assert at_monza[at(TOMORROW, 10, 15)] == [] and at_monza[at(TOMORROW, 10, 45)] == []
    assert at_monza[at(TOMORROW, 11, 15)] == [sara.pk]
    with pytest.raises(Conflict) as refused:
        book(monza, at(TOMORROW, 10, 45), email="b@example.com")
    assert refused.value.code == "slot_full"
    assert free(milano, "fitting")[at(TOMORROW, 11)] == [sara.pk]
    book(monza, at(TOMORROW, 11, 15), email="c@example.com")
    assert free(milano, "fitting")[at(TOMORROW, 11)] == []  # 11:15 is taken there


def test_the_database_refuses_an_overlap_the_listing_did_not_see():
    """Two bookings read the slots at once and both find the associate free: the
    second one's blocks share a cell of the clock with the first, so the unique
    (associate, start) refuses it."""
    milano, [sara] = open_shop(name="Milano Centro")
    first = book(milano, at(TOMORROW, 10), "styling")
    second = Appointment.objects.create(
        customer=first.customer,
        location=milano,
        associate=sara,
        kind="fitting",
        starts_at=at(TOMORROW, 10, 45),
        ends_at=at(TOMORROW, 11, 15),
        channel=Channel.WEB,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentBlock.objects.bulk_create(
            AppointmentBlock(appointment=second, associate=sara, starts_at=start)
            for start in block_starts(second.starts_at, second.ends_at)
        )


def test_blocks_share_a_cell_exactly_when_two_appointments_overlap():
    """Any starts on the five minutes: overlapping times share a block, back to back
    ones none (an associate may go from one appointment straight to the next)."""
    half_hour = timedelta(minutes=30)
    for offset in range(0, 60, 5):
        first = at(TOMORROW, 10, offset)
        cells = set(block_starts(first, first + half_hour))
        for minutes in range(-55, 60, 5):
            other = first + timedelta(minutes=minutes)
            theirs = set(block_starts(other, other + half_hour))
            assert bool(cells & theirs) == (abs(minutes) < 30), (offset, minutes)


def test_back_to_back_appointments_at_a_shop_opening_at_a_quarter_past():
    shop, [sara] = open_shop()
    open_at(shop, time(10, 15))
    book(shop, at(TOMORROW, 10, 15), email="a@example.com")
    assert free(shop, "styling")[at(TOMORROW, 10, 45)] == [sara.pk]
    nxt = book(shop, at(TOMORROW, 10, 45), "styling", email="b@example.com")
    assert nxt.associate == sara
