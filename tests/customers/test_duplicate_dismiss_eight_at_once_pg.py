"""Eight associates press "Not the same" on one duplicate pair at the same moment
(PostgreSQL, threads, real row locks): one decides it, the seven others get what a
later press gets (404), none a server error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import DuplicateStatus
from customers.services.matching import flag_duplicate
from tests.concurrency import run_parallel
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SESSIONS = 8


def test_eight_dismissals_at_once_decide_the_pair_once_and_answer_cleanly():
    shop = LocationFactory(country="IT")
    one = make_customer(email="dora@example.com", first_name="Dora")
    other = make_customer(phone="3390001234", first_name="Dora", channel="store")
    pair = flag_duplicate(customer=one, other=other, reason="same name")
    url = reverse("staff:customer_duplicate_dismiss", args=[pair.pk])
    clients = []
    for _ in range(SESSIONS):
        client = Client(raise_request_exception=False)
        client.force_login(StaffFactory(store=shop))
        clients.append(client)

    def press(client):
        return lambda: client.post(url, {"customer": one.pk}).status_code

    statuses = run_parallel([press(client) for client in clients])

    assert sorted(statuses) == [302] + [404] * (SESSIONS - 1)
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISMISSED
