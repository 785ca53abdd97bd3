"""A customer's read-only rows (identities, consents, addresses, notes) are the rows
on record, whatever counts a posted form claims: a form posted with more rows than
the page showed saves the profile as any other, draws no extra row and writes none;
never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import Consent, CustomerIdentity, StaffNote
from customers.services.timeline import add_note
from omnistore.accounts.models import Role
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="elena", role=Role.HQ, is_staff=True))
    return client


def page_form(page, customer) -> dict:
    """The page's form as shown: the profile's fields and each inline's rows."""
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"birthday": "", "preferences": "{}"})
    if form.initial.get("preferred_store") is None:
        data["preferred_store"] = ""
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for i, inline_form in enumerate(formset.forms):
            data[f"{formset.prefix}-{i}-id"] = inline_form.instance.pk
            data[f"{formset.prefix}-{i}-customer"] = customer.pk
    return data


def rows(customer) -> tuple:
    return (
        list(Consent.objects.filter(customer=customer).values_list("pk", "granted")),
        list(StaffNote.objects.filter(customer=customer).values_list("pk", "text")),
        list(CustomerIdentity.objects.filter(customer=customer).values_list("pk")),
    )


@pytest.mark.parametrize(
    "inflated",
    [
        {"consents-TOTAL_FORMS": 1},
        {"notes-TOTAL_FORMS": 3},
        {"identities-TOTAL_FORMS": 3},
        {"addresses-TOTAL_FORMS": 1},
    ],
)
def test_a_form_posted_with_more_rows_than_shown_is_drawn_back_with_those_on_record(
    hq, shop, inflated
):
    """The profile refused (a birthday that is no day) draws the page again, its
    error said: each read-only list shows the rows on record, not the count
    posted, and nothing is written."""
    customer = make_customer(email="ida@example.com", first_name="Ida")
    add_note(customer=customer, text="Likes linen", actor=None, location=shop)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = hq.get(url)
    data = page_form(page, customer)
    assert (data["identities-TOTAL_FORMS"], data["notes-TOTAL_FORMS"]) == (2, 1)
    assert data["consents-TOTAL_FORMS"] == data["addresses-TOTAL_FORMS"] == 0
    shown = drawn(page)
    before = rows(customer)

    response = hq.post(url, {**data, **inflated, "birthday": "not a day"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["birthday"]
    assert drawn(response) == shown
    assert rows(customer) == before


def drawn(page) -> dict:
    """Each inline's rows as drawn on the page (an empty row to add included)."""
    return {
        inline.formset.prefix: len(list(inline))
        for inline in page.context["inline_admin_formsets"]
    }
