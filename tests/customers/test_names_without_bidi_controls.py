"""A name typed with a right-to-left override (``Evil`` + U+202E + ``SIHT`` shows as
"EvilTHIS") or any other bidirectional embedding, override or isolate is kept
without them, whichever door it comes through: the staff pages' forms (and the
admin's, through the same door) and the API's bodies (JSON and form). The marks U+200E and U+200F that
right-to-left keyboards type are kept."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from customers.models import Customer
from tests.customers.factories import CustomerUserFactory
from tests.factories import StaffFactory
from tests.orders.factories import shop

pytestmark = pytest.mark.django_db

RLO = "\u202e"
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def signed_in(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def test_the_staff_form_keeps_the_name_without_the_override(client):
    store = shop(country="IT")
    client.force_login(StaffFactory(store=store))

    response = client.post(
        reverse("staff:customer_create"),
        {
            "first_name": f"Evil{RLO}SIHT",
            "last_name": f"Ro{CONTROLS}ssi",
            "phone": "+393475550505",
        },
    )

    assert response.status_code == 302
    customer = Customer.objects.get(phone="+393475550505")
    assert (customer.first_name, customer.last_name) == ("EvilSIHT", "Rossi")
    page = client.get(response["Location"]).content.decode()
    assert "EvilSIHT" in page and RLO not in page


@pytest.mark.parametrize("body_format", ["json", "multipart", "form"])
def test_sign_up_through_the_api_keeps_the_name_without_the_override(
    api_client, body_format
):
    body = {
        "email": "nora@example.com",
        "password": "Sunny-Linen-2024",
        "first_name": f"Evil{RLO}SIHT",
        "last_name": "\u2067Galli\u2069",
    }
    if body_format == "form":
        response = api_client.post(
            "/api/v1/auth/register/",
            urlencode(body),
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = api_client.post("/api/v1/auth/register/", body, format=body_format)

    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(pk=response.json()["customer_id"])
    assert (customer.first_name, customer.last_name) == ("EvilSIHT", "Galli")


def test_the_profile_through_the_api_keeps_the_name_without_the_override(api_client):
    client = signed_in(api_client, CustomerUserFactory())

    response = client.patch(
        "/api/v1/me/", {"first_name": f"Evil{RLO}SIHT"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["first_name"] == "EvilSIHT"


def test_the_marks_right_to_left_keyboards_type_are_kept(api_client):
    client = signed_in(api_client, CustomerUserFactory())
    name = "\u05e0\u05d5\u05e8\u05d4\u200f"  # a Hebrew name and a right-to-left mark

    response = client.patch("/api/v1/me/", {"first_name": name}, format="json")

    assert response.json()["first_name"] == name
