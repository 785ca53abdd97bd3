"""A note or a task written on the 360° page and sent twice (a double tap, a resent
request) is saved once; one refused for a reason the associate can correct goes
through with the same form once corrected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import ClientTask, StaffNote
from omnistore.staff.once import ALREADY, new_token
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def associate():
    return StaffFactory(store=LocationFactory(country="IT"), first_name="Sara")


@pytest.fixture
def customer():
    return make_customer(email="nina@example.com", first_name="Nina")


def page(client, customer) -> str:
    return client.get(reverse("staff:customer_detail", args=[customer.pk])).content


def test_the_360_page_draws_a_token_in_the_note_and_task_forms(
    client, associate, customer
):
    client.force_login(associate)
    html = page(client, customer).decode()
    assert html.count('name="once"') == 2


def test_the_same_note_sent_twice_is_saved_once(client, associate, customer):
    client.force_login(associate)
    url = reverse("staff:customer_add_note", args=[customer.pk])
    data = {"text": "Collects on Saturdays", "once": new_token()}

    first = client.post(url, data, **HTMX)
    again = client.post(url, data, **HTMX)

    assert first.status_code == 200 and "Note added" in first.content.decode()
    assert again.status_code == 422 and ALREADY in again.content.decode()
    assert "Collects on Saturdays" in again.content.decode()  # on the timeline
    assert StaffNote.objects.filter(customer=customer).count() == 1


def test_the_same_note_sent_twice_without_htmx_is_saved_once(
    client, associate, customer
):
    client.force_login(associate)
    url = reverse("staff:customer_add_note", args=[customer.pk])
    data = {"text": "Prefers linen", "once": new_token()}

    first = client.post(url, data, follow=True)
    assert [str(m) for m in first.context["messages"]] == ["Note added."]
    again = client.post(url, data, follow=True)

    assert [str(m) for m in again.context["messages"]] == [ALREADY]
    assert StaffNote.objects.filter(customer=customer).count() == 1


def test_a_new_form_after_a_note_takes_the_next_note(client, associate, customer):
    client.force_login(associate)
    url = reverse("staff:customer_add_note", args=[customer.pk])
    first = client.post(url, {"text": "One", "once": new_token()}, **HTMX)
    token = first.context["note_form"]["once"].value()
    assert client.post(url, {"text": "Two", "once": token}, **HTMX).status_code == 200
    assert StaffNote.objects.filter(customer=customer).count() == 2


def test_the_same_task_sent_twice_is_created_once(client, associate, customer):
    client.force_login(associate)
    url = reverse("staff:customer_task_create", args=[customer.pk])
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    data = {"title": "Call about the coat", "due_on": due, "once": new_token()}

    first = client.post(url, data, **HTMX)
    again = client.post(url, data, **HTMX)

    assert first.status_code == 200
    assert again.status_code == 422 and ALREADY in again.content.decode()
    assert ClientTask.objects.filter(customer=customer).count() == 1


def test_a_refused_task_corrected_goes_with_the_same_form(client, associate, customer):
    client.force_login(associate)
    url = reverse("staff:customer_task_create", args=[customer.pk])
    token = new_token()
    far = {"title": "Call", "due_on": "9999-12-31", "once": token}
    assert client.post(url, far, **HTMX).status_code == 422
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    fixed = client.post(url, {**far, "due_on": due}, **HTMX)
    assert fixed.status_code == 200
    assert ClientTask.objects.filter(customer=customer).count() == 1
