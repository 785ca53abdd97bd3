"""A sign-up and a consent change from the app (``X-Client-Channel: app``) are
recorded as the app's unless the body names a channel; without the header, as the
website's."""

import pytest
from rest_framework.authtoken.models import Token

from customers.models import Customer, CustomerEvent
from tests.customers.factories import CustomerUserFactory

pytestmark = pytest.mark.django_db

APP = {"HTTP_X_CLIENT_CHANNEL": "app"}


def sign_up(api_client, headers=None, **body):
    return api_client.post(
        "/api/v1/auth/register/",
        {"email": "nora@example.com", "password": "Sunny-Linen-2024", **body},
        format="json",
        **(headers or {}),
    )


def decide(api_client, headers=None, **body):
    user = CustomerUserFactory()
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.put(
        "/api/v1/me/consents/", {"email": True, **body}, format="json", **headers or {}
    )
    assert response.status_code == 200, response.json()
    email = next(c for c in response.json() if c["channel"] == "email")
    return user.customer_profile, email


def test_a_sign_up_in_the_app_is_the_app_s(api_client):
    response = sign_up(api_client, APP)
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(pk=response.json()["customer_id"])
    assert customer.created_channel == "app"


@pytest.mark.parametrize(
    ("headers", "body", "recorded"),
    [
        ({}, {}, "web"),
        (APP, {"channel": "web"}, "web"),
        ({}, {"channel": "app"}, "app"),
    ],
)
def test_a_sign_up_is_the_website_s_without_the_header_or_the_body_s_channel(
    api_client, headers, body, recorded
):
    response = sign_up(api_client, headers, **body)
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(pk=response.json()["customer_id"])
    assert customer.created_channel == recorded


def test_a_consent_given_in_the_app_is_recorded_as_the_app_s(api_client):
    customer, email = decide(api_client, APP)
    assert email["granted"] and email["source_channel"] == "app"
    assert customer.consent_changes.get(channel="email").source_channel == "app"
    event = CustomerEvent.objects.get(customer=customer, kind="consent_granted")
    assert event.channel == "app"


@pytest.mark.parametrize(
    ("headers", "body", "recorded"),
    [
        ({}, {}, "web"),
        (APP, {"channel": "web"}, "web"),
        ({}, {"channel": "app"}, "app"),
    ],
)
def test_a_consent_is_the_website_s_without_the_header_or_the_body_s_channel(
    api_client, headers, body, recorded
):
    _, email = decide(api_client, headers, **body)
    assert email["source_channel"] == recorded
