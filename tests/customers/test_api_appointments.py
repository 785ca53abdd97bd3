"""Appointments through the storefront API: anyone sees a shop's free slots; a
signed-in customer books, lists, reads and cancels their own; another person's
appointment is 404; bad input is a 400 naming the field, a full slot a 409."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import (
    Appointment,
    AppointmentHours,
    AppointmentStatus,
    CustomerEvent,
)
from customers.services.appointments import book_appointment
from omnistore.core.channels import Channel
from tests.customers.appointments import at, open_shop
from tests.customers.factories import CustomerUserFactory
from tests.factories import StaffFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("customers-api:me-appointments")


def slots_url(shop) -> str:
    return reverse("customers-api:appointment-slots", args=[shop.pk])


def cancel_url(appointment) -> str:
    return reverse("customers-api:me-appointment-cancel", args=[appointment.pk])


def detail_url(appointment) -> str:
    return reverse("customers-api:me-appointment", args=[appointment.pk])


@pytest.fixture
def day():
    """Tomorrow in the shop's calendar: every slot is in the future."""
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def shop_and_staff():
    return open_shop(associates=2)


@pytest.fixture
def shop(shop_and_staff):
    return shop_and_staff[0]


@pytest.fixture
def shopper():
    return CustomerUserFactory(first_name="Martina", last_name="Ferrari")


@pytest.fixture
def client_for(api_client):
    def sign_in(user):
        api_client.force_authenticate(user)
        return api_client

    return sign_in


def test_anyone_sees_the_free_slots_of_a_shop_in_its_time_zone(api_client, shop, day):
    response = api_client.get(slots_url(shop), {"kind": "styling", "date": day})
    assert response.status_code == 200
    data = response.json()
    assert data["timezone"] == "Europe/Rome" and data["shop"] == shop.pk
    first = data["slots"][0]
    assert first["starts_at"] == at(day, 10).isoformat()
    assert first["ends_at"] == at(day, 11).isoformat()
    assert first["available"] == 2
    assert len(data["slots"]) == 15


@pytest.mark.parametrize(
    "params, field",
    [
        ({"kind": "massage", "date": "2030-01-01"}, "kind"),
        ({"kind": "fitting"}, "date"),
        ({"kind": "fitting", "date": "not-a-day"}, "date"),
        ({"kind": "fitting", "date": "2001-01-01"}, "date"),
        ({"kind": "fitting", "date": "9999-12-31"}, "date"),
    ],
)
def test_bad_slot_queries_are_400_naming_the_field(api_client, shop, params, field):
    response = api_client.get(slots_url(shop), params)
    assert response.status_code == 400
    assert field in response.json()["extra"]


def test_slots_of_an_unknown_shop_or_a_warehouse_are_404(api_client, shop, day):
    for url in (
        reverse("customers-api:appointment-slots", args=[999999]),
        slots_url(WarehouseFactory()),
    ):
        response = api_client.get(url, {"kind": "fitting", "date": day})
        assert response.status_code == 404


def test_a_customer_books_lists_and_reads_their_appointment(
    client_for, shopper, shop, day
):
    api = client_for(shopper)
    response = api.post(
        LIST_URL,
        {"shop": shop.pk, "kind": "fitting", "starts_at": at(day, 11), "note": "Suit"},
        format="json",
        HTTP_X_CLIENT_CHANNEL="app",
    )
    assert response.status_code == 201, response.json()
    booked = response.json()
    assert booked["status"] == "booked" and booked["can_cancel"] is True
    assert booked["starts_at"] == at(day, 11).isoformat()
    assert booked["shop"]["name"] == "Milano Centro"
    assert booked["associate"].startswith("Sara") and booked["associate"].endswith("C.")
    assert booked["channel"] == "app"
    listed = api.get(LIST_URL).json()
    assert [a["id"] for a in listed["results"]] == [booked["id"]]
    appointment = Appointment.objects.get(pk=booked["id"])
    assert api.get(detail_url(appointment)).json()["note"] == "Suit"
    assert CustomerEvent.objects.filter(
        customer=shopper.customer_profile, kind="appointment_booked"
    ).exists()


def test_a_start_without_an_offset_is_read_in_shop_time(client_for, shopper, shop, day):
    response = client_for(shopper).post(
        LIST_URL,
        {"shop": shop.pk, "kind": "fitting", "starts_at": f"{day}T15:30:00"},
        format="json",
    )
    assert response.status_code == 201
    assert Appointment.objects.get().starts_at == at(day, 15, 30)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"starts_at": "tomorrow at ten"}, "starts_at"),
        ({"kind": "massage"}, "kind"),
        ({"shop": "x"}, "shop"),
        ({"shop": 0}, "shop"),
        ({"note": "x" * 501}, "note"),
        ({"note": 5}, "note"),
    ],
)
def test_bad_booking_input_is_400_naming_the_field(
    client_for, shopper, shop, day, change, field
):
    body = {"shop": shop.pk, "kind": "fitting", "starts_at": at(day, 11).isoformat()}
    response = client_for(shopper).post(LIST_URL, {**body, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["extra"]
    assert not Appointment.objects.exists()


def test_times_and_shops_the_service_refuses_are_400(client_for, shopper, shop, day):
    api = client_for(shopper)
    for starts_at, field in (
        (at(day, 8), "starts_at"),  # before the shop opens
        (at(day, 11, 15), "starts_at"),  # off the slot grid
        (timezone.now() - timedelta(hours=2), "starts_at"),  # past
        (at(day + timedelta(days=400), 11), "date"),  # beyond the horizon
    ):
        response = api.post(
            LIST_URL,
            {"shop": shop.pk, "kind": "fitting", "starts_at": starts_at},
            format="json",
        )
        assert response.status_code == 400, starts_at
        assert field in response.json()["extra"]
    response = api.post(
        LIST_URL,
        {"shop": WarehouseFactory().pk, "kind": "fitting", "starts_at": at(day, 11)},
        format="json",
    )
    assert response.status_code == 400 and "shop" in response.json()["extra"]


def test_a_full_slot_is_a_409(client_for, shopper, shop, day):
    for _ in range(2):
        other = CustomerUserFactory()
        book_appointment(
            customer=other.customer_profile,
            location=shop,
            kind="fitting",
            starts_at=at(day, 12),
            channel=Channel.WEB,
        )
    response = client_for(shopper).post(
        LIST_URL,
        {"shop": shop.pk, "kind": "fitting", "starts_at": at(day, 12)},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"


def test_a_customer_cancels_their_own_and_the_slot_opens_again(
    client_for, shopper, shop, day
):
    api = client_for(shopper)
    booked = api.post(
        LIST_URL,
        {"shop": shop.pk, "kind": "fitting", "starts_at": at(day, 11)},
        format="json",
    ).json()
    appointment = Appointment.objects.get(pk=booked["id"])
    response = api.post(cancel_url(appointment), {"reason": "Ill"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["can_cancel"] is False
    again = api.post(cancel_url(appointment), {}, format="json")
    assert again.status_code == 409
    slots = api.get(slots_url(shop), {"kind": "fitting", "date": day}).json()["slots"]
    eleven = next(s for s in slots if s["starts_at"] == at(day, 11).isoformat())
    assert eleven["available"] == 2


def test_another_persons_appointment_is_404(client_for, shopper, shop, day):
    other = CustomerUserFactory()
    theirs = book_appointment(
        customer=other.customer_profile,
        location=shop,
        kind="fitting",
        starts_at=at(day, 11),
        channel=Channel.WEB,
    )
    api = client_for(shopper)
    assert api.get(detail_url(theirs)).status_code == 404
    assert api.post(cancel_url(theirs), {}, format="json").status_code == 404
    assert api.get(LIST_URL).json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED


def test_booking_needs_a_customer_login(api_client, shop, day):
    body = {"shop": shop.pk, "kind": "fitting", "starts_at": at(day, 11)}
    assert api_client.post(LIST_URL, body, format="json").status_code in (401, 403)
    api_client.force_authenticate(StaffFactory(store=shop))
    response = api_client.post(LIST_URL, body, format="json")
    assert response.status_code == 404 and response.json()["code"] == "staff_login"


def test_booking_is_rate_limited(client_for, shopper, shop, day, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "appointment_booking": "2/hour",
        },
    }
    api = client_for(shopper)
    body = {"shop": shop.pk, "kind": "fitting", "starts_at": "bad"}
    codes = [api.post(LIST_URL, body, format="json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert api.get(LIST_URL).status_code == 200  # reading is not the booking rate


def test_my_appointments_take_a_fixed_number_of_queries(
    client_for, shopper, shop, day, django_assert_num_queries
):
    api = client_for(shopper)
    for hour in (10, 11, 12):
        book_appointment(
            customer=shopper.customer_profile,
            location=shop,
            kind="fitting",
            starts_at=at(day, hour),
            channel=Channel.WEB,
        )
    # profile, count, page (shop and associate joined)
    with django_assert_num_queries(3):
        response = api.get(LIST_URL)
    assert response.json()["count"] == 3


def test_hours_moved_to_a_quarter_past_offer_and_book_no_overlapping_time(
    client_for, shopper, day
):
    """An associate holds 10:00–10:30 and 11:00–11:30; the shop then opens at
    10:15: a styling at 10:15 or 10:45 would overlap them, so it is neither offered
    nor booked."""
    shop, [sara] = open_shop(name="Torino")
    for hour in (10, 11):
        book_appointment(
            customer=CustomerUserFactory().customer_profile,
            location=shop,
            kind="fitting",
            starts_at=at(day, hour),
            channel=Channel.WEB,
        )
    AppointmentHours.objects.filter(location=shop, weekday=day.weekday()).update(
        opens=time(10, 15)
    )
    api = client_for(shopper)
    slots = api.get(slots_url(shop), {"kind": "styling", "date": day}).json()["slots"]
    available = {s["starts_at"]: s["available"] for s in slots}
    assert available[at(day, 10, 15).isoformat()] == 0
    assert available[at(day, 10, 45).isoformat()] == 0
    assert available[at(day, 11, 45).isoformat()] == 1
    response = api.post(
        LIST_URL,
        {"shop": shop.pk, "kind": "styling", "starts_at": at(day, 10, 15)},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "slot_full"
    assert Appointment.objects.filter(associate=sara).count() == 2
