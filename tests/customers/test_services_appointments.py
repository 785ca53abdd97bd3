"""Appointments as services: slots come from the shop's hours and its associates'
free time; a slot never takes more bookings than associates; every step is stamped
and on the timeline; reminders leave once."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.backends import MemoryBackend
from customers.models import (
    Appointment,
    AppointmentBlock,
    AppointmentHours,
    AppointmentStatus,
    ConsentChannel,
    CustomerEvent,
)
from customers.selectors.appointments import appointment_slots, no_show_count
from customers.services.appointments import (
    MAX_UPCOMING,
    book_appointment,
    cancel_appointment,
    mark_arrived,
    mark_completed,
    mark_no_show,
    send_appointment_reminders,
)
from customers.services.consents import set_consent
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, IllegalTransition, ValidationFailed
from omnistore.core.outbox import drain
from tests.customers.appointments import NOW, TOMORROW, at, open_shop
from tests.customers.factories import make_customer
from tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


def book(customer, shop, starts_at, kind="fitting", **kwargs):
    return book_appointment(
        customer=customer,
        location=shop,
        kind=kind,
        starts_at=starts_at,
        channel=kwargs.pop("channel", Channel.WEB),
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def test_slots_follow_the_hours_and_the_length_of_the_kind():
    shop, _ = open_shop()
    fittings = appointment_slots(location=shop, kind="fitting", day=TOMORROW, now=NOW)
    stylings = appointment_slots(location=shop, kind="styling", day=TOMORROW, now=NOW)
    assert fittings[0].starts_at == at(TOMORROW, 10)
    assert fittings[-1].starts_at == at(TOMORROW, 17, 30)  # 30 minutes fit before 18
    assert stylings[-1].starts_at == at(TOMORROW, 17)  # an hour must fit
    assert len(fittings) == 16 and len(stylings) == 15
    assert all(slot.available == 1 for slot in fittings)


def test_a_closed_weekday_has_no_slots_and_past_times_are_not_offered():
    shop, _ = open_shop()
    AppointmentHours.objects.filter(location=shop, weekday=TOMORROW.weekday()).delete()
    assert appointment_slots(location=shop, kind="fitting", day=TOMORROW, now=NOW) == []
    today = NOW.date()
    slots = appointment_slots(
        location=shop, kind="fitting", day=today, now=at(today, 12, 10)
    )
    assert slots[0].starts_at == at(today, 12, 30)


def test_booking_takes_a_free_associate_and_records_it():
    shop, [sara] = open_shop()
    customer = make_customer(email="martina@example.com", first_name="Martina")
    appointment = book(customer, shop, at(TOMORROW, 11), kind="styling", note="Linen")
    assert appointment.associate == sara
    assert appointment.ends_at == at(TOMORROW, 12)
    assert appointment.status == AppointmentStatus.BOOKED
    blocks = AppointmentBlock.objects.filter(appointment=appointment)
    assert blocks.count() == 12  # an hour: twelve cells of five minutes
    event = CustomerEvent.objects.get(customer=customer, kind="appointment_booked")
    assert "Styling appointment booked" in event.summary and "Sara0" in event.summary
    assert event.reference_id == str(appointment.pk)
    slots = {
        s.starts_at: s.available
        for s in appointment_slots(location=shop, kind="fitting", day=TOMORROW, now=NOW)
    }
    assert slots[at(TOMORROW, 10, 30)] == 1
    assert slots[at(TOMORROW, 11)] == 0 and slots[at(TOMORROW, 11, 30)] == 0
    assert slots[at(TOMORROW, 12)] == 1


def test_a_slot_takes_as_many_bookings_as_associates_then_refuses():
    shop, staff = open_shop(associates=2)
    taken = [
        book(make_customer(email=f"c{i}@example.com"), shop, at(TOMORROW, 15))
        for i in range(2)
    ]
    assert {a.associate for a in taken} == set(staff)
    with pytest.raises(Conflict) as refused:
        book(make_customer(email="late@example.com"), shop, at(TOMORROW, 15))
    assert refused.value.code == "slot_full"
    assert Appointment.objects.count() == 2


def test_an_overlapping_longer_appointment_is_refused():
    shop, _ = open_shop()
    book(make_customer(email="a@example.com"), shop, at(TOMORROW, 11, 30))
    with pytest.raises(Conflict):
        book(make_customer(email="b@example.com"), shop, at(TOMORROW, 11), "styling")


@pytest.mark.parametrize(
    "starts_at, field, code",
    [
        (at(TOMORROW, 9, 30), "starts_at", "outside_hours"),  # before opening
        (at(TOMORROW, 17, 30), "starts_at", "outside_hours"),  # styling past closing
        (at(TOMORROW, 11, 10), "starts_at", "outside_hours"),  # not on the grid
        (NOW - timedelta(hours=1), "starts_at", "invalid"),  # in the past
        (NOW + timedelta(days=90), "date", "invalid"),  # beyond the horizon
    ],
)
def test_times_the_shop_does_not_offer_are_field_errors(starts_at, field, code):
    shop, _ = open_shop()
    with pytest.raises(ValidationFailed) as refused:
        book(make_customer(email="a@example.com"), shop, starts_at, "styling")
    assert field in refused.value.extra and refused.value.code == code


def test_unknown_kind_and_a_warehouse_are_field_errors():
    shop, _ = open_shop()
    customer = make_customer(email="a@example.com")
    with pytest.raises(ValidationFailed) as refused:
        book(customer, shop, at(TOMORROW, 11), kind="massage")
    assert "kind" in refused.value.extra
    with pytest.raises(ValidationFailed) as refused:
        book(customer, WarehouseFactory(), at(TOMORROW, 11))
    assert "shop" in refused.value.extra


def test_one_customer_holds_a_bounded_number_of_upcoming_appointments():
    shop, _ = open_shop()
    customer = make_customer(email="a@example.com")
    for hour in range(10, 10 + MAX_UPCOMING):
        book(customer, shop, at(TOMORROW, hour))
    with pytest.raises(Conflict) as refused:
        book(customer, shop, at(TOMORROW, 16))
    assert refused.value.code == "too_many"


def test_cancelling_gives_the_time_back_and_is_on_the_timeline():
    shop, [sara] = open_shop()
    customer = make_customer(email="a@example.com")
    appointment = book(customer, shop, at(TOMORROW, 11))
    cancel_appointment(
        appointment=appointment, reason="Travelling", by_customer=True, now=NOW
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_at == NOW and appointment.cancel_reason == "Travelling"
    assert not AppointmentBlock.objects.exists()
    again = book(make_customer(email="b@example.com"), shop, at(TOMORROW, 11))
    assert again.associate == sara
    event = CustomerEvent.objects.get(customer=customer, kind="appointment_cancelled")
    assert "cancelled by the customer" in event.summary
    assert event.summary.endswith("(Travelling)")
    with pytest.raises(IllegalTransition):
        cancel_appointment(appointment=appointment, now=NOW)


def test_a_customer_cannot_cancel_once_it_started():
    shop, _ = open_shop()
    appointment = book(make_customer(email="a@example.com"), shop, at(TOMORROW, 11))
    with pytest.raises(Conflict):
        cancel_appointment(
            appointment=appointment, by_customer=True, now=at(TOMORROW, 11, 5)
        )


def test_arrival_completion_and_no_show_are_stamped_with_who_and_when():
    shop, [sara] = open_shop()
    customer = make_customer(email="a@example.com")
    first = book(customer, shop, at(TOMORROW, 11))
    second = book(customer, shop, at(TOMORROW, 14))
    later = at(TOMORROW, 11, 2)
    mark_arrived(appointment=first, actor=sara, now=later)
    mark_completed(appointment=first, actor=sara, now=at(TOMORROW, 11, 30))
    first.refresh_from_db()
    assert (first.status, first.arrived_by, first.arrived_at) == (
        AppointmentStatus.COMPLETED,
        sara,
        later,
    )
    assert first.closed_by == sara
    with pytest.raises(Conflict):  # not yet started
        mark_no_show(appointment=second, actor=sara, now=at(TOMORROW, 13))
    mark_no_show(appointment=second, actor=sara, now=at(TOMORROW, 14, 20))
    assert no_show_count(customer) == 1
    event = CustomerEvent.objects.get(customer=customer, kind="appointment_no_show")
    assert event.actor == sara and event.location == shop
    with pytest.raises(IllegalTransition):
        mark_arrived(appointment=second, actor=sara, now=at(TOMORROW, 14, 25))


def test_reminders_leave_once_by_email_and_by_sms_only_with_consent(settings):
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    shop, _ = open_shop()
    # Given in person at the shop: reminders may go to them.
    texted = make_customer(
        email="t@example.com", phone="+393331112222", channel=Channel.STORE
    )
    set_consent(
        customer=texted,
        channel=ConsentChannel.SMS,
        granted=True,
        source_channel=Channel.WEB,
    )
    silent = make_customer(
        email="s@example.com", phone="+393334445555", channel=Channel.STORE
    )
    soon = book(texted, shop, at(TOMORROW, 10))
    other = book(silent, shop, at(TOMORROW, 11))
    far = book(silent, shop, at(TOMORROW + timedelta(days=3), 11))
    now = at(NOW.date(), 12)
    assert sorted(send_appointment_reminders(now=now)) == sorted([soon.pk, other.pk])
    assert send_appointment_reminders(now=now) == []  # a second run sends nothing
    drain()
    assert sorted(m.to[0] for m in mail.outbox) == ["s@example.com", "t@example.com"]
    assert "Milano Centro" in mail.outbox[0].body
    assert [m.to for m in MemoryBackend.outbox] == ["+393331112222"]
    far.refresh_from_db()
    assert far.reminder_sent_at is None
    assert CustomerEvent.objects.filter(kind="appointment_reminder").count() == 2


def test_a_cancelled_appointment_gets_no_reminder_email():
    shop, _ = open_shop()
    customer = make_customer(email="a@example.com", channel=Channel.STORE)
    appointment = book(customer, shop, at(TOMORROW, 10))
    send_appointment_reminders(now=at(NOW.date(), 12))
    cancel_appointment(appointment=appointment, now=NOW)
    drain()
    assert mail.outbox == []


def test_reminders_reach_only_an_email_and_a_phone_proven_or_given_in_person(
    settings,
):
    """A sign-up's email and number typed online may be someone else's: with the
    SMS consent ticked beside them, the reminder still reaches nobody until the
    customer proves them with the codes sent there."""
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    shop, _ = open_shop()
    signed_up = make_customer(email="new@example.com", phone="+393337778888")
    set_consent(
        customer=signed_up,
        channel=ConsentChannel.SMS,
        granted=True,
        source_channel=Channel.WEB,
    )
    unproven = book(signed_up, shop, at(TOMORROW, 10))
    send_appointment_reminders(now=at(NOW.date(), 12))
    drain()
    assert mail.outbox == [] and list(MemoryBackend.outbox) == []
    assert Appointment.objects.get(pk=unproven.pk).reminder_sent_at is not None

    signed_up.identities.update(verified=True)  # both codes entered
    book(signed_up, shop, at(TOMORROW + timedelta(days=1), 10))
    send_appointment_reminders(now=at(TOMORROW, 12))
    drain()
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert [m.to for m in MemoryBackend.outbox] == ["+393337778888"]


def test_hours_must_open_before_they_close():
    from django.db import IntegrityError, transaction

    shop, _ = open_shop()
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentHours.objects.filter(location=shop, weekday=0).update(closes=time(9))


def test_a_merge_carries_the_appointments_to_the_survivor():
    from customers.services.merge import merge_customers

    shop, [sara] = open_shop()
    survivor = make_customer(email="a@example.com")
    other = make_customer(email="b@example.com")
    appointment = book(other, shop, at(TOMORROW, 11))
    merge_customers(survivor=survivor, other=other, actor=sara)
    appointment.refresh_from_db()
    assert appointment.customer == survivor
    mark_no_show(appointment=appointment, actor=sara, now=at(TOMORROW, 12))
    assert no_show_count(survivor) == 1


def test_erasure_blanks_notes_and_cancels_upcoming_appointments(settings):
    from customers.selectors.export import export_customer_data
    from customers.services.erasure import erase_customer

    shop, [sara] = open_shop()
    customer = make_customer(email="a@example.com")
    yesterday = timezone.localdate() - timedelta(days=1)  # erasure runs at real time
    tomorrow = timezone.localdate() + timedelta(days=1)
    then = at(yesterday, 10)
    past = book(customer, shop, then, note="Size 48", now=then - timedelta(days=1))
    upcoming = book(
        customer, shop, at(tomorrow, 11), note="Wedding suit", now=timezone.now()
    )
    exported = export_customer_data(customer)["appointments"]
    assert [a["note"] for a in exported] == ["Size 48", "Wedding suit"]
    mark_completed(appointment=past, actor=sara, now=then + timedelta(minutes=30))
    erase_customer(customer=customer, actor=sara)
    past.refresh_from_db()
    upcoming.refresh_from_db()
    assert (past.status, past.note) == (AppointmentStatus.COMPLETED, "")
    assert (upcoming.status, upcoming.note) == (AppointmentStatus.CANCELLED, "")
    assert not AppointmentBlock.objects.filter(appointment=upcoming).exists()
