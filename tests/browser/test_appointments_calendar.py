"""An associate on a tablet works through the day's appointments: the calendar
shows their bookings, a customer who came is marked arrived, one who did not is
recorded as a no-show (counted on the 360° page), and the week view and its
navigation swap in place with the address following."""

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import (
    Appointment,
    AppointmentHours,
    AppointmentStaff,
    AppointmentStatus,
)
from customers.selectors.appointments import shop_timezone
from customers.services.appointments import book_appointment
from customers.services.matching import match_customer
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.factories import LocationFactory, StaffFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _half_hour(moment: datetime) -> datetime:
    return moment.replace(
        minute=0 if moment.minute < 30 else 30, second=0, microsecond=0
    )


# Zones no more than six hours apart: at any hour of the day one of them is in its
# working hours, with appointments an hour ago and an hour ahead on the same day.
ZONES = (
    "Pacific/Kiritimati",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Europe/Rome",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
)


def _zone_in_working_hours() -> str:
    from zoneinfo import ZoneInfo

    now = timezone.now()
    return next(z for z in ZONES if 9 <= now.astimezone(ZoneInfo(z)).hour < 15)


@pytest.fixture
def day_of_appointments(settings):
    # The shops keep the site's time zone: the test runs the day where it is daytime
    settings.TIME_ZONE = _zone_in_working_hours()
    shop = LocationFactory(code="MI01", name="Milano Centro")
    for weekday in range(7):  # open all day: the test runs at any hour
        AppointmentHours.objects.create(
            location=shop, weekday=weekday, opens=time(0), closes=time(23, 30)
        )
    giulia = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    luca = StaffFactory(
        username="luca", first_name="Luca", last_name="Neri", store=shop
    )
    StaffFactory(
        username="marco",
        first_name="Marco",
        last_name="Rossi",
        store=shop,
        role=Role.STORE_MANAGER,
    )
    for user in (giulia, luca):
        AppointmentStaff.objects.create(location=shop, user=user)
    zone = shop_timezone(shop)
    now = timezone.localtime(timezone.now(), zone)
    earlier = _half_hour(now) - timedelta(hours=1)
    later = _half_hour(now) + timedelta(hours=1)
    if earlier.date() != now.date() or later.date() != now.date():
        pytest.skip("too close to midnight for a day of appointments")
    people = [
        ("Martina", "Ferrari", "martina@example.com"),
        ("Paolo", "Greco", "paolo@example.com"),
        ("Anna", "Russo", "anna@example.com"),
    ]
    customers = [
        match_customer(email=e, first_name=f, last_name=n, channel=Channel.WEB)
        for f, n, e in people
    ]

    def book(customer, start, kind, associate, note=""):
        return book_appointment(
            customer=customer,
            location=shop,
            kind=kind,
            starts_at=start,
            channel=Channel.WEB,
            associate=associate,
            note=note,
            now=start - timedelta(days=1),
        )

    missed = book(customers[0], earlier, "fitting", giulia, "Hem the trousers")
    coming = book(customers[1], later, "styling", giulia, "Linen suit for a wedding")
    book(customers[2], later, "fitting", luca)
    return {"missed": missed, "coming": coming, "martina": customers[0]}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_works_through_the_days_appointments(
    live_server, page, day_of_appointments
):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.on("dialog", lambda dialog: dialog.accept())  # "Record a no-show?"
    missed, coming = day_of_appointments["missed"], day_of_appointments["coming"]
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "giulia")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        page.get_by_role("link", name="Appointments").click()

        expect(page.get_by_test_id("cal-summary")).to_contain_text(
            "Your appointments · 2 appointments"
        )
        card = page.get_by_test_id(f"appointment-{coming.pk}")
        expect(card).to_contain_text("Paolo Greco")
        expect(card).to_contain_text("Linen suit for a wedding")
        expect(card.get_by_test_id("mark-no-show")).to_have_count(0)  # not yet
        page.screenshot(path=str(ARTIFACTS / "appointments-day.png"))

        card.get_by_test_id("mark-arrived").click()
        expect(card.get_by_test_id("appointment-status")).to_have_text("Arrived")
        expect(card).to_contain_text("Giulia Bianchi")

        gone = page.get_by_test_id(f"appointment-{missed.pk}")
        gone.get_by_test_id("mark-no-show").click()
        expect(gone.get_by_test_id("appointment-status")).to_have_text("No-show")
        expect(gone.get_by_test_id("mark-arrived")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "appointments-day-marked.png"))

        page.get_by_test_id("cal-week-view").click()
        expect(page.locator(".cal-grid.week")).to_be_visible()
        expect(page).to_have_url(re.compile(r"view=week"))
        expect(page.locator(".cal-day")).to_have_count(7)
        page.screenshot(path=str(ARTIFACTS / "appointments-week.png"))
        week = page.get_by_test_id("cal-range").inner_text()
        page.get_by_test_id("cal-next").click()
        expect(page.get_by_test_id("cal-range")).not_to_have_text(week)
        expect(page.get_by_test_id("cal-summary")).to_contain_text("0 appointments")
        page.get_by_test_id("cal-prev").click()
        expect(page.get_by_test_id("cal-range")).to_have_text(week)

        page.get_by_test_id(f"appointment-{missed.pk}").get_by_role(
            "link", name="Martina Ferrari"
        ).click()
        panel = page.get_by_test_id("appointments-panel")
        expect(panel.get_by_test_id("no-show-count")).to_have_text("1 no-show")
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "appointments-360.png"))

        # Martina books again at the counter: the free times of today, one tap.
        panel.get_by_test_id("book-appointment").click()
        page.get_by_label("Kind").select_option("fitting")
        # The next half hour is free for a fitting (not for an hour's styling).
        slots = page.get_by_test_id("book-slots").locator("button:not([disabled])")
        expect(page.get_by_test_id("slot").first).to_contain_text("2 free")
        page.screenshot(path=str(ARTIFACTS / "appointments-book.png"))
        slots.first.click()
        expect(page.locator("[data-message]")).to_contain_text("Fitting booked with")
        expect(page.get_by_test_id("cal-summary")).to_contain_text("Your appointments")

        missed.refresh_from_db()
        coming.refresh_from_db()
        assert missed.status == AppointmentStatus.NO_SHOW
        assert missed.closed_by.username == "giulia"
        assert coming.status == AppointmentStatus.ARRIVED
        assert coming.arrived_by.username == "giulia"
        rebooked = Appointment.objects.filter(
            customer=day_of_appointments["martina"], status=AppointmentStatus.BOOKED
        ).get()
        assert rebooked.channel == "store" and rebooked.booked_by.username == "giulia"
    finally:
        page.screenshot(path=str(ARTIFACTS / "appointments-full.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_sees_the_whole_shop(live_server, page, day_of_appointments):
    page.set_viewport_size({"width": 1280, "height": 800})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "marco")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/staff/appointments/")
        expect(page.get_by_test_id("cal-summary")).to_contain_text(
            "Everyone at Milano Centro · 3 appointments"
        )
        page.get_by_test_id("cal-who").select_option(label="Luca Neri")
        expect(page.get_by_test_id("cal-summary")).to_contain_text(
            "Luca Neri · 1 appointment"
        )
        assert Appointment.objects.count() == 3
        page.screenshot(path=str(ARTIFACTS / "appointments-manager.png"))
    finally:
        page.screenshot(
            path=str(ARTIFACTS / "appointments-manager-full.png"), full_page=True
        )
