"""A name is kept on one line (``Customer.save``), and the timeline says what was
kept: a name sent with a line break is recorded as stored, sending it again records
nothing, and a name of only invisible characters is recorded as none. The same
through the admin's profile edit."""

import pytest
from django.urls import reverse

from customers.models import CustomerEvent
from customers.services.profiles import update_profile
from tests.customers.factories import CustomerUserFactory, make_customer

pytestmark = pytest.mark.django_db

ME = reverse("customers-api:me")


@pytest.fixture
def shopper(api_client):
    user = CustomerUserFactory(first_name="Martina", last_name="Rossi")
    api_client.force_authenticate(user)
    return user.customer_profile


def profile_events(customer):
    return list(
        CustomerEvent.objects.filter(customer=customer, kind="profile_updated")
        .order_by("pk")
        .values_list("summary", "data")
    )


def test_a_name_with_a_line_break_is_recorded_as_kept_and_once(api_client, shopper):
    for _ in range(2):
        response = api_client.patch(ME, {"last_name": "Rev\nisore"}, format="json")
        assert response.status_code == 200
        assert response.json()["last_name"] == "Rev isore"
    shopper.refresh_from_db()
    assert shopper.last_name == "Rev isore"
    ((summary, data),) = profile_events(shopper)
    assert summary == "Profile updated: last name Rossi → Rev isore"
    assert data["after"] == {"last_name": "Rev isore"}


def test_the_stored_name_sent_again_with_other_spacing_records_nothing(
    api_client, shopper
):
    update_profile(customer=shopper, first_name="Anna Maria")
    response = api_client.patch(
        ME, {"first_name": " Anna\r\n  Maria\t", "last_name": "Rossi"}, format="json"
    )
    assert response.status_code == 200
    ((summary, _),) = profile_events(shopper)
    assert summary == "Profile updated: first name Martina → Anna Maria"


def test_a_name_of_only_invisible_characters_is_recorded_as_none(api_client, shopper):
    response = api_client.patch(ME, {"first_name": "\u200b"}, format="json")
    assert response.status_code == 200 and response.json()["first_name"] == ""
    ((summary, data),) = profile_events(shopper)
    assert summary == "Profile updated: first name Martina → (none)"
    assert data["after"] == {"first_name": ""}
    api_client.patch(ME, {"first_name": "\u200b"}, format="json")
    assert len(profile_events(shopper)) == 1


def test_a_long_name_cut_at_a_space_is_recorded_as_kept():
    customer = make_customer(email="long@example.com", last_name="Rossi")
    typed = "x" * 99 + " tail"
    update_profile(customer=customer, last_name=typed)
    update_profile(customer=customer, last_name=typed)
    customer.refresh_from_db()
    assert customer.last_name == "x" * 99
    ((summary, data),) = profile_events(customer)
    assert data["after"] == {"last_name": "x" * 99}


def test_the_admins_profile_edit_records_the_name_as_kept(admin_client):
    customer = make_customer(email="desk@example.com", first_name="Ann")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"birthday": "", "preferred_store": "", "preferences": "{}"})
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for i, inline_form in enumerate(formset.forms):
            data[f"{formset.prefix}-{i}-id"] = inline_form.instance.pk
            data[f"{formset.prefix}-{i}-customer"] = customer.pk

    for first_name in ("Anna\nMaria", "Anna  Maria"):
        response = admin_client.post(url, {**data, "first_name": first_name})
        assert response.status_code == 302, response.context["adminform"].form.errors

    customer.refresh_from_db()
    assert customer.first_name == "Anna Maria"
    ((summary, _),) = profile_events(customer)
    assert summary == "Profile updated: first name Ann → Anna Maria"
