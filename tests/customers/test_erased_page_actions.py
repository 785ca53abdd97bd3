"""An erased profile's 360° page offers nothing the server refuses for it (taking
the client, a task, a note, a wishlist, an appointment) and says plainly that the
profile was erased; a live profile's page offers them all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.services.erasure import erase_customer
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

ACTIONS = {
    "take-client": "Take this client",
    "add-task": "Add a task",
    "open-wishlists": "Start a wishlist",
    "book-appointment": "Book an appointment",
}


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(store=LocationFactory(country="IT")))
    return client


def detail(client, customer) -> str:
    response = client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_live_profile_offers_every_action(staff_client):
    customer = make_customer(email="live@example.com")
    html = detail(staff_client, customer)
    for testid, label in ACTIONS.items():
        assert f'data-testid="{testid}"' in html and label in html
    assert reverse("staff:customer_add_note", args=[customer.pk]) in html
    assert 'data-testid="erased-notice"' not in html


def test_an_erased_profile_offers_none_and_says_it_was_erased(staff_client):
    customer = make_customer(email="gone@example.com", first_name="Eva")
    erase_customer(customer=customer)

    html = detail(staff_client, customer)

    for testid, label in ACTIONS.items():
        assert f'data-testid="{testid}"' not in html and label not in html
    assert 'data-testid="new-task"' not in html
    add_note = reverse("staff:customer_add_note", args=[customer.pk])
    assert add_note not in html and "Add note" not in html
    assert "Add a note" not in html
    assert 'data-testid="erased-notice"' in html
    assert "This profile was erased" in html
