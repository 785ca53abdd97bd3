"""The appointments admin: managers see their shops' bookings, read-only, with
filters; another shop's booking is 404; hours are set up per shop."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from customers.models import AppointmentHours
from customers.services.appointments import book_appointment
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.appointments import at, open_shop
from tests.customers.factories import make_customer
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookings():
    day = timezone.localdate() + timedelta(days=1)
    milano, _ = open_shop(name="Milano Centro")
    torino, _ = open_shop(name="Torino")
    return [
        book_appointment(
            customer=make_customer(email=f"{shop.name[0]}@example.com"),
            location=shop,
            kind="styling",
            starts_at=at(day, 11),
            channel=Channel.WEB,
        )
        for shop in (milano, torino)
    ]


def test_a_manager_sees_their_shops_bookings_read_only(client, bookings):
    mine, theirs = bookings
    manager = StaffFactory(store=mine.location, role=Role.STORE_MANAGER)
    client.force_login(manager)
    listing = client.get(
        reverse("admin:customers_appointment_changelist"), {"status__exact": "booked"}
    )
    assert listing.status_code == 200
    shown = list(listing.context["cl"].result_list)
    assert shown == [mine]
    change = client.get(reverse("admin:customers_appointment_change", args=[mine.pk]))
    assert change.status_code == 200
    assert b'name="status"' not in change.content  # read-only
    other = client.get(reverse("admin:customers_appointment_change", args=[theirs.pk]))
    assert other.status_code == 404
    hours = client.get(reverse("admin:customers_appointmenthours_changelist"))
    assert {h.location for h in hours.context["cl"].result_list} == {mine.location}


def test_a_manager_adds_only_their_own_team_to_a_shops_appointment_staff(client):
    from customers.models import AppointmentStaff

    milano, _ = open_shop(name="Milano Centro")
    roma, _ = open_shop(name="Roma")
    manager = StaffFactory(store=milano, role=Role.STORE_MANAGER, username="mgr")
    mine = StaffFactory(store=milano, username="giulia")
    theirs = StaffFactory(store=roma, username="luca")
    client.force_login(manager)
    url = reverse("admin:customers_appointmentstaff_add")
    offered = client.get(url).context["adminform"].form.fields["user"].queryset
    assert mine in offered and theirs not in offered

    refused = client.post(
        url, {"user": theirs.pk, "location": milano.pk, "active": "on", "_save": "1"}
    )
    assert refused.status_code == 200
    assert "user" in refused.context["adminform"].form.errors
    added = client.post(
        url, {"user": mine.pk, "location": milano.pk, "active": "on", "_save": "1"}
    )
    assert added.status_code == 302
    assert AppointmentStaff.objects.filter(user=mine, location=milano).exists()
    assert not AppointmentStaff.objects.filter(user=theirs).exists()


@pytest.mark.parametrize(("opens", "closes"), [("18:00", "10:00"), ("10:00", "10:00")])
def test_hours_that_close_before_they_open_are_refused_at_the_closing_time(
    client, opens, closes
):
    from customers.models import AppointmentHours

    shop = StaffFactory(role=Role.STORE_MANAGER, username="mgr").store
    client.force_login(shop.staff.get())
    url = reverse("admin:customers_appointmenthours_add")

    response = client.post(
        url, {"location": shop.pk, "weekday": "0", "opens": opens, "closes": closes}
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["closes"] == ["Closing time must be after opening time."]
    assert not form.non_field_errors()
    assert not AppointmentHours.objects.filter(location=shop).exists()
    saved = client.post(
        url, {"location": shop.pk, "weekday": "0", "opens": "10:00", "closes": "18:00"}
    )
    assert saved.status_code == 302
    assert AppointmentHours.objects.filter(location=shop).count() == 1


@pytest.mark.parametrize(
    ("opens", "closes", "field"),
    [
        ("10:07", "18:00", "opens"),
        ("10:00", "17:58", "closes"),
        ("10:15:30", "18:00", "opens"),
    ],
)
def test_hours_off_the_five_minutes_are_refused_at_their_field(
    client, opens, closes, field
):
    """A booking holds an associate's time in five-minute cells of the clock: hours
    on them keep back to back appointments apart; 10:15 is fine."""
    shop = StaffFactory(role=Role.STORE_MANAGER, username="mgr").store
    client.force_login(shop.staff.get())
    url = reverse("admin:customers_appointmenthours_add")

    response = client.post(
        url, {"location": shop.pk, "weekday": "0", "opens": opens, "closes": closes}
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors[field] == ["Use a time on the 5 minutes (10:00, 10:15, 10:20)."]
    assert not AppointmentHours.objects.filter(location=shop).exists()
    saved = client.post(
        url, {"location": shop.pk, "weekday": "0", "opens": "10:15", "closes": "18:00"}
    )
    assert saved.status_code == 302
    assert AppointmentHours.objects.get(location=shop).opens.minute == 15


def test_the_booking_links_its_customer_only_for_who_may_open_that_customer(
    client, bookings
):
    mine, _ = bookings
    customer_page = reverse("admin:customers_customer_change", args=[mine.customer_id])
    booking_page = reverse("admin:customers_appointment_change", args=[mine.pk])
    manager = StaffFactory(store=mine.location, role=Role.STORE_MANAGER)
    client.force_login(manager)
    # the customer booked at the shop but never bought there: not the manager's
    assert client.get(customer_page).status_code == 404
    page = client.get(booking_page)
    assert page.status_code == 200
    assert customer_page not in page.content.decode()
    assert str(mine.customer) in page.content.decode()

    client.force_login(StaffFactory(role=Role.HQ))
    assert client.get(customer_page).status_code == 200
    assert customer_page in client.get(booking_page).content.decode()


def test_deleting_another_shops_hours_asks_nothing_and_deletes_nothing(client):
    """The bulk delete, posted by hand with hours of a shop the manager does not
    run, draws no page asking to confirm the deletion of none: back to the list,
    told why."""
    milano, _ = open_shop(name="Milano Centro")
    roma, _ = open_shop(name="Roma")
    client.force_login(StaffFactory(store=milano, role=Role.STORE_MANAGER))
    url = reverse("admin:customers_appointmenthours_changelist")
    theirs = list(AppointmentHours.objects.filter(location=roma).values_list("pk"))
    asked = {"action": "delete_selected", "_selected_action": [pk for (pk,) in theirs]}

    response = client.post(url, asked)

    assert response.status_code == 302
    assert response["Location"] == url
    notes = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert notes == [
        (
            "warning",
            "None of the selected appointment hours is in your shops. No items "
            "have been changed.",
        )
    ]
    client.post(url, {**asked, "post": "yes"})
    assert AppointmentHours.objects.filter(location=roma).count() == 7
