"""Appointments in the shop: an associate's day and week, the shop's calendar for
managers, the steps at the counter (arrived, completed, no-show, cancelled) stamped
with who and when, no-shows counted on the 360° page; another shop's appointment is
404 and the calendar costs a fixed number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Appointment, AppointmentStatus, CustomerEvent
from customers.services.appointments import book_appointment
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.appointments import at, open_shop
from tests.customers.factories import make_customer
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CALENDAR = reverse("staff:appointments")


def card(appointment) -> str:
    return f'data-testid="appointment-{appointment.pk}"'


def step_url(appointment, step):
    return reverse("staff:appointment_step", args=[appointment.pk, step])


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
def luca(shop_and_staff):
    return shop_and_staff[1][1]


@pytest.fixture
def manager(shop):
    return StaffFactory(store=shop, role=Role.STORE_MANAGER, first_name="Marta")


@pytest.fixture
def today():
    return timezone.localdate()


def book(customer, shop, starts_at, associate=None, now=None):
    return book_appointment(
        customer=customer,
        location=shop,
        kind="fitting",
        starts_at=starts_at,
        channel=Channel.WEB,
        associate=associate,
        now=now or starts_at - timedelta(days=1),
    )


@pytest.fixture
def tomorrow(today):
    return today + timedelta(days=1)


@pytest.fixture
def booked(shop, sara, luca, tomorrow):
    """Two appointments with Sara, one with Luca, tomorrow."""
    martina = make_customer(email="martina@example.com", first_name="Martina")
    paolo = make_customer(email="paolo@example.com", first_name="Paolo")
    return [
        book(martina, shop, at(tomorrow, 10), associate=sara),
        book(paolo, shop, at(tomorrow, 11), associate=sara),
        book(paolo, shop, at(tomorrow, 12), associate=luca),
    ]


def test_an_associate_sees_their_own_day(client, sara, booked, tomorrow):
    client.force_login(sara)
    response = client.get(CALENDAR, {"date": tomorrow.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert card(booked[0]) in html
    assert card(booked[1]) in html
    assert card(booked[2]) not in html  # Luca's
    assert "Your appointments · 2 appointments" in html


def test_an_associate_cannot_open_the_shop_calendar(client, sara, booked, tomorrow):
    client.force_login(sara)
    html = client.get(
        CALENDAR, {"date": tomorrow.isoformat(), "who": "shop"}
    ).content.decode()
    assert card(booked[2]) not in html
    assert 'data-testid="cal-who"' not in html


def test_a_manager_sees_the_whole_shop_or_one_associate(
    client, manager, luca, booked, tomorrow
):
    client.force_login(manager)
    html = client.get(CALENDAR, {"date": tomorrow.isoformat()}).content.decode()
    assert all(card(a) in html for a in booked)
    assert "Everyone at Milano Centro · 3 appointments" in html
    html = client.get(
        CALENDAR, {"date": tomorrow.isoformat(), "who": str(luca.pk)}
    ).content.decode()
    assert card(booked[2]) in html
    assert card(booked[0]) not in html


def test_the_week_view_and_htmx_navigation_answer_the_fragment(
    client, sara, booked, tomorrow
):
    client.force_login(sara)
    response = client.get(
        CALENDAR, {"view": "week", "date": tomorrow.isoformat()}, **HTMX
    )
    html = response.content.decode()
    assert "<html" not in html and 'class="cal-grid week"' in html
    monday = tomorrow - timedelta(days=tomorrow.weekday())
    for offset in range(7):
        day = monday + timedelta(days=offset)
        assert f'data-testid="cal-day-{day.isoformat()}"' in html
    assert card(booked[0]) in html
    later = client.get(
        CALENDAR, {"view": "week", "date": (monday + timedelta(days=7)).isoformat()}
    ).content.decode()
    assert card(booked[0]) not in later


def test_a_bad_date_or_view_falls_back_to_today(client, sara, today):
    client.force_login(sara)
    response = client.get(CALENDAR, {"date": "31-31-2020", "view": "year"})
    assert response.status_code == 200
    assert f'data-testid="cal-day-{today.isoformat()}"' in response.content.decode()


def started(customer, shop, associate, today):
    """An appointment that has begun: today's at 10:00 once that has passed, else
    yesterday's (early in the day)."""
    start = at(today, 10) if timezone.now() > at(today, 10, 30) else None
    if start is None:
        start = at(today - timedelta(days=1), 10)
    return book(customer, shop, start, associate=associate)


def test_arrival_and_completion_are_stamped(client, shop, sara, today):
    appointment = started(make_customer(email="m@example.com"), shop, sara, today)
    client.force_login(sara)
    response = client.post(step_url(appointment, "arrived"), **HTMX)
    assert response.status_code == 200
    assert "Arrived" in response.content.decode()
    response = client.post(step_url(appointment, "completed"), **HTMX)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.arrived_by == sara and appointment.closed_by == sara
    assert 'data-testid="mark-arrived"' not in response.content.decode()


def test_a_no_show_is_recorded_and_counted_on_the_360_page(client, shop, sara, today):
    martina = make_customer(email="martina@example.com", first_name="Martina")
    appointment = started(martina, shop, sara, today)
    client.force_login(sara)
    response = client.post(step_url(appointment, "no-show"), **HTMX)
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW
    assert appointment.closed_by == sara and appointment.closed_at is not None
    assert CustomerEvent.objects.filter(
        customer=martina, kind="appointment_no_show", actor=sara
    ).exists()
    page = client.get(reverse("staff:customer_detail", args=[martina.pk]))
    html = page.content.decode()
    assert 'data-testid="no-show-count">1 no-show<' in html
    assert "No-show" in html  # on the timeline


def test_a_no_show_before_the_start_is_refused_with_422(client, sara, booked):
    client.force_login(sara)
    response = client.post(step_url(booked[0], "no-show"), **HTMX)
    assert response.status_code == 422
    assert "once the appointment has started" in response.content.decode()
    booked[0].refresh_from_db()
    assert booked[0].status == AppointmentStatus.BOOKED


def test_staff_cancel_gives_the_slot_back_and_is_on_the_timeline(client, sara, booked):
    client.force_login(sara)
    response = client.post(step_url(booked[1], "cancel"), {"reason": "Shop event"})
    assert response.status_code == 302
    booked[1].refresh_from_db()
    assert booked[1].status == AppointmentStatus.CANCELLED
    assert booked[1].cancelled_by == sara
    event = CustomerEvent.objects.get(kind="appointment_cancelled")
    assert "cancelled by the shop" in event.summary


def test_another_shops_appointment_is_404(client, booked):
    elsewhere, [stranger] = open_shop(name="Torino")
    client.force_login(stranger)
    for step in ("arrived", "completed", "no-show", "cancel"):
        assert client.post(step_url(booked[0], step), **HTMX).status_code == 404
    assert client.post(step_url(booked[0], "explode"), **HTMX).status_code == 404
    booked[0].refresh_from_db()
    assert booked[0].status == AppointmentStatus.BOOKED
    html = client.get(CALENDAR).content.decode()
    assert "Torino" in html and 'data-testid="appointment-' not in html


def test_an_associate_acts_on_their_own_appointments_a_manager_on_any(
    client, sara, manager, booked
):
    """Luca's appointment is not on Sara's calendar, nor hers to mark."""
    client.force_login(sara)
    for step in ("arrived", "completed", "no-show", "cancel"):
        response = client.post(step_url(booked[2], step), {"reason": "x"}, **HTMX)
        assert response.status_code == 404
    booked[2].refresh_from_db()
    assert booked[2].status == AppointmentStatus.BOOKED

    client.force_login(manager)
    response = client.post(step_url(booked[2], "cancel"), {"reason": "Luca is ill"})
    assert response.status_code == 302
    booked[2].refresh_from_db()
    assert (booked[2].status, booked[2].cancelled_by) == (
        AppointmentStatus.CANCELLED,
        manager,
    )


def test_customers_need_a_staff_login(client, booked):
    from tests.customers.factories import CustomerUserFactory

    client.force_login(CustomerUserFactory())
    assert client.get(CALENDAR).status_code == 302
    assert client.post(step_url(booked[0], "arrived")).status_code == 302
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 3


def test_the_shop_week_takes_a_fixed_number_of_queries(
    client, manager, shop, sara, luca, tomorrow, django_assert_num_queries
):
    client.force_login(manager)
    params = {"view": "week", "date": tomorrow.isoformat(), "who": "shop"}
    client.get(CALENDAR, params)  # warm the session
    # session, user, shop, staff list, appointments, hours
    with django_assert_num_queries(6):
        client.get(CALENDAR, params)
    for hour in range(10, 16):
        book(make_customer(email=f"c{hour}@example.com"), shop, at(tomorrow, hour))
    with django_assert_num_queries(6):
        response = client.get(CALENDAR, params)
    assert response.content.decode().count('class="appt fitting') == 6


def book_url(customer):
    return reverse("staff:appointment_book", args=[customer.pk])


def test_staff_book_for_a_customer_from_the_free_slots(client, sara, shop, tomorrow):
    martina = make_customer(email="martina@example.com", first_name="Martina")
    client.force_login(sara)
    page = client.get(book_url(martina))
    assert (
        page.status_code == 200 and 'data-testid="book-slots"' in page.content.decode()
    )
    slots = client.get(
        book_url(martina), {"kind": "fitting", "date": tomorrow.isoformat()}, **HTMX
    )
    html = slots.content.decode()
    assert "<html" not in html
    assert f'value="{at(tomorrow, 10).isoformat()}"' in html and "2 free" in html
    response = client.post(
        book_url(martina),
        {
            "kind": "fitting",
            "date": tomorrow.isoformat(),
            "starts_at": at(tomorrow, 10).isoformat(),
            "note": "Bring the suit",
        },
        **HTMX,
    )
    assert response.status_code == 200 and "HX-Redirect" in response.headers
    appointment = Appointment.objects.get(customer=martina)
    assert (appointment.channel, appointment.booked_by) == ("store", sara)
    assert appointment.location == shop and appointment.note == "Bring the suit"


def test_staff_booking_a_full_or_past_time_is_refused_with_422(
    client, sara, luca, booked, tomorrow, today
):
    client.force_login(sara)
    paolo = booked[1].customer
    full = {
        "kind": "fitting",
        "date": tomorrow.isoformat(),
        "starts_at": at(tomorrow, 10).isoformat(),
    }
    book(make_customer(email="x@example.com"), booked[0].location, at(tomorrow, 10))
    response = client.post(book_url(paolo), full, **HTMX)
    assert response.status_code == 422
    assert "fully booked" in response.content.decode()
    past = {"kind": "fitting", "date": (today - timedelta(days=1)).isoformat()}
    response = client.get(book_url(paolo), past, **HTMX)
    assert response.status_code == 422 and "This day has passed" in (
        response.content.decode()
    )
    assert client.get(reverse("staff:appointment_book", args=[999999])).status_code == (
        404
    )


def test_without_htmx_a_step_returns_to_the_calendar_never_elsewhere(
    client, sara, booked, tomorrow
):
    client.force_login(sara)
    back = f"{CALENDAR}?date={tomorrow.isoformat()}"
    response = client.post(step_url(booked[0], "arrived"), {"next": back})
    assert response.status_code == 302 and response.url == back
    response = client.post(
        step_url(booked[0], "completed"), {"next": "https://evil.example.com/"}
    )
    assert response.url == CALENDAR
