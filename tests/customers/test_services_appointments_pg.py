"""Appointments under real concurrency (PostgreSQL, threads): customers booking the
last free time at once get exactly as many appointments as there are associates
free, and an associate who works at two shops is never booked at both at once, even
when the shops open at different minutes."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from customers.models import (
    Appointment,
    AppointmentBlock,
    AppointmentHours,
    AppointmentStaff,
)
from customers.services.appointments import book_appointment
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from tests.concurrency import run_parallel
from tests.customers.appointments import at, open_shop
from tests.customers.factories import make_customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _booking(customer, shop, starts_at):
    return lambda: book_appointment(
        customer=customer,
        location=shop,
        kind="styling",
        starts_at=starts_at,
        channel=Channel.WEB,
    )


def test_n_customers_booking_the_last_slot_at_once_get_exactly_its_capacity():
    shop, staff = open_shop(associates=3)
    day = timezone.localdate() + timedelta(days=1)
    customers = [make_customer(email=f"c{i}@example.com") for i in range(10)]
    results = run_parallel([_booking(c, shop, at(day, 15)) for c in customers])
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(booked) == 3 and len(refused) == 7, results
    assert {a.associate_id for a in booked} == {u.pk for u in staff}
    assert all(r.code == "slot_full" for r in refused)
    # an hour: twelve cells of five minutes each
    assert AppointmentBlock.objects.count() == 3 * 12


def test_an_associate_of_two_shops_is_booked_at_one_of_them_only():
    milano, [sara] = open_shop(name="Milano Centro")
    monza, _ = open_shop(name="Monza", associates=0)
    AppointmentStaff.objects.create(location=monza, user=sara)
    day = timezone.localdate() + timedelta(days=1)
    jobs = []
    for i in range(6):
        shop = milano if i % 2 else monza
        jobs.append(
            _booking(make_customer(email=f"c{i}@example.com"), shop, at(day, 11))
        )
    results = run_parallel(jobs)
    booked = [r for r in results if isinstance(r, Appointment)]
    assert len(booked) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in booked), results
    assert Appointment.objects.filter(associate=sara).count() == 1


def test_an_associate_of_two_shops_opening_at_different_minutes_is_booked_once():
    milano, [sara] = open_shop(name="Milano Centro")
    monza, _ = open_shop(name="Monza", associates=0)
    AppointmentStaff.objects.create(location=monza, user=sara)
    day = timezone.localdate() + timedelta(days=1)
    AppointmentHours.objects.filter(location=monza, weekday=day.weekday()).update(
        opens=time(10, 15)
    )
    jobs = []
    for i in range(6):  # 11:00–12:00 at Milano, 11:15–12:15 at Monza
        shop, starts_at = (milano, at(day, 11)) if i % 2 else (monza, at(day, 11, 15))
        jobs.append(_booking(make_customer(email=f"c{i}@example.com"), shop, starts_at))
    results = run_parallel(jobs)
    booked = [r for r in results if isinstance(r, Appointment)]
    assert len(booked) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in booked), results
    assert Appointment.objects.filter(associate=sara).count() == 1
