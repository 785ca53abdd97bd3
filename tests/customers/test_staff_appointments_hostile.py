"""Appointments in the staff UI against input a form would never send: a booking
sent twice books once (a customer holds one live appointment at a time), arrival and
completion wait for the appointment, the cancel reason is checked like any form
field, a booking whose time is not on its day or makes no sense is a 422 with the
reason, and a calendar day out of any range shows today."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import (
    Appointment,
    AppointmentBlock,
    AppointmentStatus,
    CustomerEvent,
)
from customers.services.appointments import (
    ARRIVAL_WINDOW,
    book_appointment,
    cancel_appointment,
    mark_arrived,
    mark_completed,
)
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from tests.customers.appointments import NOW, TOMORROW, at, open_shop
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CALENDAR = reverse("staff:appointments")


@pytest.fixture
def shop_and_staff():
    return open_shop(associates=2)


@pytest.fixture
def shop(shop_and_staff):
    return shop_and_staff[0]


@pytest.fixture
def sara(shop_and_staff):
    return shop_and_staff[1][0]


@pytest.fixture
def martina():
    return make_customer(email="martina@example.com", first_name="Martina")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def tomorrow(today):
    return today + timedelta(days=1)


def book_url(customer) -> str:
    return reverse("staff:appointment_book", args=[customer.pk])


def step_url(appointment, step: str) -> str:
    return reverse("staff:appointment_step", args=[appointment.pk, step])


def book(customer, shop, starts_at, kind="fitting"):
    return book_appointment(
        customer=customer,
        location=shop,
        kind=kind,
        starts_at=starts_at,
        channel=Channel.WEB,
        now=starts_at - timedelta(days=1),
    )


def snapshot() -> tuple:
    """What a refused request must leave as it was."""
    return (
        list(
            Appointment.objects.order_by("pk").values_list(
                "pk",
                "status",
                "starts_at",
                "arrived_at",
                "closed_at",
                "cancelled_at",
                "cancel_reason",
            )
        ),
        AppointmentBlock.objects.count(),
        CustomerEvent.objects.count(),
    )


# --- Booking sent twice ---------------------------------------------------------------


def test_the_same_booking_sent_twice_books_the_customer_once(
    client, sara, martina, tomorrow
):
    client.force_login(sara)
    data = {
        "kind": "fitting",
        "date": tomorrow.isoformat(),
        "starts_at": at(tomorrow, 10).isoformat(),
    }
    first = client.post(book_url(martina), data, **HTMX)
    assert first.status_code == 200 and "HX-Redirect" in first.headers
    before = snapshot()
    again = client.post(book_url(martina), data, **HTMX)
    assert again.status_code == 422
    html = again.content.decode()
    assert "The customer already has an appointment at this time." in html
    assert 'data-testid="error-starts_at"' in html and "Already booked: fitting" in html
    assert snapshot() == before
    assert Appointment.objects.filter(customer=martina).count() == 1


def test_an_overlapping_booking_is_refused_and_a_cancelled_one_frees_the_time(
    shop, martina
):
    styling = book(martina, shop, at(TOMORROW, 11), kind="styling")  # 11:00-12:00
    elsewhere, _ = open_shop(name="Torino")
    with pytest.raises(Conflict) as refused:
        book(martina, elsewhere, at(TOMORROW, 11, 30))
    assert refused.value.code == "customer_busy"
    assert "starts_at" in refused.value.extra
    book(martina, shop, at(TOMORROW, 12))  # right after it: no overlap
    cancel_appointment(appointment=styling, now=NOW)
    book(martina, elsewhere, at(TOMORROW, 11, 30))
    assert Appointment.objects.filter(customer=martina).count() == 3


# --- Arrival and completion wait for the appointment ----------------------------------


@pytest.fixture
def next_week(shop, martina, today):
    return book(martina, shop, at(today + timedelta(days=7), 11))


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("arrived", "marked arrived from 60 minutes before the appointment"),
        ("completed", "can only be completed once it has started"),
    ],
)
def test_next_weeks_appointment_cannot_be_marked_arrived_or_completed(
    client, sara, next_week, step, message
):
    client.force_login(sara)
    before = snapshot()
    response = client.post(step_url(next_week, step), **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot() == before
    next_week.refresh_from_db()
    assert next_week.status == AppointmentStatus.BOOKED
    assert next_week.arrived_by is None and next_week.closed_by is None


def test_the_card_offers_arrival_and_completion_only_when_possible(
    client, sara, next_week
):
    client.force_login(sara)
    day = timezone.localtime(next_week.starts_at).date()
    html = client.get(CALENDAR, {"date": day.isoformat()}).content.decode()
    assert f'data-testid="appointment-{next_week.pk}"' in html
    assert 'data-testid="mark-cancel"' in html
    assert 'data-testid="mark-arrived"' not in html
    assert 'data-testid="mark-completed"' not in html


def test_arrival_opens_an_hour_before_the_start_and_completion_at_the_start(
    shop, sara, martina
):
    appointment = book(martina, shop, at(TOMORROW, 11))
    opens = appointment.starts_at - ARRIVAL_WINDOW
    with pytest.raises(Conflict):
        mark_arrived(
            appointment=appointment, actor=sara, now=opens - timedelta(minutes=1)
        )
    mark_arrived(appointment=appointment, actor=sara, now=opens)
    with pytest.raises(Conflict):
        mark_completed(
            appointment=appointment,
            actor=sara,
            now=appointment.starts_at - timedelta(minutes=1),
        )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED
    mark_completed(appointment=appointment, actor=sara, now=appointment.starts_at)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED


# --- The cancel reason ------------------------------------------------------------------


@pytest.fixture
def coming(shop, martina, tomorrow):
    return book(martina, shop, at(tomorrow, 10))


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("Shop\x00event", "Null characters are not allowed."),
        ("x" * 251, "Ensure this value has at most 250 characters (it has 251)."),
    ],
)
def test_a_bad_cancel_reason_is_a_422_and_the_appointment_stays_booked(
    client, sara, coming, reason, message
):
    client.force_login(sara)
    before = snapshot()
    response = client.post(step_url(coming, "cancel"), {"reason": reason}, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "The reason was not taken" in html and message in html
    assert snapshot() == before
    # Without JavaScript: back to the calendar, which says why.
    page = client.post(step_url(coming, "cancel"), {"reason": reason}, follow=True)
    assert page.redirect_chain == [(CALENDAR, 302)]
    assert message in page.content.decode()
    assert snapshot() == before
    coming.refresh_from_db()
    assert coming.status == AppointmentStatus.BOOKED and coming.cancel_reason == ""


def test_a_cancel_reason_of_the_full_length_is_kept_without_its_spaces(
    client, sara, coming
):
    client.force_login(sara)
    reason = "y" * 250
    response = client.post(
        step_url(coming, "cancel"), {"reason": f"  {reason}  "}, **HTMX
    )
    assert response.status_code == 200
    coming.refresh_from_db()
    assert coming.status == AppointmentStatus.CANCELLED
    assert coming.cancel_reason == reason


# --- Booking input ----------------------------------------------------------------------


def booking(day, starts_at, kind="fitting") -> dict:
    return {"kind": kind, "date": day.isoformat(), "starts_at": starts_at}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda t: booking(t, "yesterday"), "Enter a valid date/time."),
        (
            lambda t: booking(t, at(t + timedelta(days=1), 10).isoformat()),
            "Choose one of the times of",
        ),
        (
            lambda t: booking(t, at(t - timedelta(days=2), 10).isoformat()),
            "Choose one of the times of",
        ),
        (
            lambda t: booking(
                t - timedelta(days=2), at(t - timedelta(days=2), 10).isoformat()
            ),
            "This time has passed.",
        ),
        (lambda t: booking(t, "9999-12-31T23:59:00-12:00"), "Choose one of the"),
        (
            lambda t: {
                "kind": "fitting",
                "date": "9999-12-31",
                "starts_at": "9999-12-31",
            },
            "days ahead",
        ),
        (lambda t: booking(t, at(t, 10).isoformat(), kind="massage"), "valid choice"),
    ],
    ids=["words", "next-day", "past-day", "past-date", "year-9999", "day-9999", "kind"],
)
def test_a_booking_that_does_not_make_sense_is_a_422_with_the_reason(
    client, sara, martina, tomorrow, data, message
):
    client.force_login(sara)
    for headers in (HTMX, {}):
        response = client.post(book_url(martina), data(tomorrow), **headers)
        assert response.status_code == 422
        assert message in response.content.decode()
    assert not Appointment.objects.exists()
    assert not CustomerEvent.objects.filter(kind="appointment_booked").exists()


# --- The calendar's day -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["0001-01-01", "9999-12-31", "1900-01-01", "2020-02-30", "tomorrow"]
)
@pytest.mark.parametrize("view", ["day", "week"])
def test_a_calendar_day_out_of_range_shows_today_with_a_note(
    client, sara, today, raw, view
):
    client.force_login(sara)
    response = client.get(CALENDAR, {"date": raw, "view": view})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="cal-day-{today.isoformat()}"' in html
    assert 'data-testid="cal-unknown-day"' in html


def test_a_day_some_years_back_is_still_shown(client, sara, today):
    client.force_login(sara)
    day = today - timedelta(days=5 * 365)
    html = client.get(CALENDAR, {"date": day.isoformat()}).content.decode()
    assert f'data-testid="cal-day-{day.isoformat()}"' in html
    assert 'data-testid="cal-unknown-day"' not in html
