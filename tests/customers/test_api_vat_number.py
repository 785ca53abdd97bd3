"""A business customer's VAT number: checked with python-stdnum before anything is
written, kept compact with its country prefix, refused with a clear field error."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from customers.models import Customer
from omnistore.core.exceptions import ValidationFailed
from omnistore.core.vat import check_vat_number, format_vat_number
from tests.customers.factories import CustomerUserFactory
from tests.customers.test_api_me import signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("IT00743110157", "IT00743110157"),
        ("it 007 431 10157", "IT00743110157"),
        ("ATU13585627", "ATU13585627"),
        ("DE 136 695 976", "DE136695976"),
        ("CHE-116.281.710 MWST", "CHE116281710MWST"),
        ("CHE-109.322.551 TVA", "CHE109322551TVA"),
        ("CHE-116.281.710", "CHE116281710MWST"),
        ("", ""),
    ],
)
def test_valid_numbers_are_kept_compact_with_their_prefix(typed, kept):
    assert check_vat_number(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "IT00743110158",
        "00743110157",
        "US123456789",
        "CHE-116.281.711",
        "x",
        "🙂🙂",
        "\ufeff",
        "--",
    ],
)
def test_invalid_numbers_name_the_field(typed):
    with pytest.raises(ValidationFailed) as caught:
        check_vat_number(typed, field="vat_number")
    assert caught.value.code == "invalid_vat_number"
    assert "not a valid VAT number" in caught.value.extra["vat_number"][0]


def test_a_swiss_number_reads_as_people_write_it():
    assert format_vat_number("CHE116281710MWST") == "CHE-116.281.710 MWST"
    assert format_vat_number("IT00743110157") == "IT00743110157"


def test_a_customer_sets_a_company_and_a_vat_number(api_client):
    client = signed_in(api_client, CustomerUserFactory())
    response = client.patch(
        "/api/v1/me/",
        {"company_name": "Galli Srl", "vat_number": "it 00743110157"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["company_name"] == "Galli Srl"
    assert response.json()["vat_number"] == "IT00743110157"


def test_an_invalid_vat_number_is_a_400_and_nothing_is_written(api_client):
    user = CustomerUserFactory()
    client = signed_in(api_client, user)
    client.patch("/api/v1/me/", {"first_name": "Nora"}, format="json")

    response = client.patch(
        "/api/v1/me/",
        {"first_name": "Paola", "company_name": "Galli Srl", "vat_number": "IT123"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_vat_number"
    assert "IT123 is not a valid VAT number" in body["extra"]["vat_number"][0]
    customer = Customer.objects.get(user=user)
    assert (customer.first_name, customer.company_name, customer.vat_number) == (
        "Nora",
        "",
        "",
    )


def test_the_admin_form_refuses_an_invalid_vat_number():
    customer = Customer.objects.create(
        first_name="Nora", loyalty_number="L1", created_channel="web"
    )
    request = RequestFactory().get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    model_admin = site._registry[Customer]
    form_class = model_admin.get_form(request, customer, change=True)
    data = {
        "first_name": "Nora",
        "last_name": "",
        "preferences": "{}",
        "company_name": "Galli Srl",
        "vat_number": "ATU13585628",
    }

    form = form_class(data=data, instance=customer)

    assert not form.is_valid()
    assert "not a valid VAT number" in form.errors["vat_number"][0]
    form = form_class(data={**data, "vat_number": "ATU13585627"}, instance=customer)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["vat_number"] == "ATU13585627"


def test_a_number_of_signs_only_keeps_the_number_on_file(api_client):
    """Signs without a letter or digit are not a blank: the number stays."""
    client = signed_in(api_client, CustomerUserFactory())
    assert client.patch("/api/v1/me/", {"vat_number": "IT00743110157"}, format="json")
    for typed in ("🙂🙂🙂", "\ufeff"):
        response = client.patch("/api/v1/me/", {"vat_number": typed}, format="json")
        assert response.status_code == 400, response.json()
        assert "vat_number" in response.json()["extra"]
    assert client.get("/api/v1/me/").json()["vat_number"] == "IT00743110157"
    cleared = client.patch("/api/v1/me/", {"vat_number": "  "}, format="json")
    assert cleared.status_code == 200 and cleared.json()["vat_number"] == ""
