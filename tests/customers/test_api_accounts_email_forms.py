"""One mailbox is one login and one profile however its address is typed: a domain
in fullwidth letters, or with a zero-width space, is the domain mail reaches."""

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from omnistore.accounts.models import User
from orders.models import Order
from tests.orders.factories import shop, stocked

pytestmark = pytest.mark.django_db

PASSWORD = "Sunny-Linen-2024"
TYPED = ["anna@ｅｘａｍｐｌｅ.com", "anna@exa\u200bmple.com", "ＡＮＮＡ@example.com"]


def register(email: str):
    body = {"email": email, "password": PASSWORD}
    return APIClient().post("/api/v1/auth/register/", body, format="json")


@pytest.mark.parametrize("typed", TYPED)
def test_signing_up_again_with_the_address_spelled_otherwise_is_refused(typed):
    assert register("anna@example.com").status_code == 201
    response = register(typed)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "email_taken"
    assert User.objects.count() == 1
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("typed", TYPED)
def test_signing_in_with_the_address_spelled_otherwise_is_the_same_login(typed):
    token = register("anna@example.com").json()["token"]
    body = {"email": typed, "password": PASSWORD}
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["token"] == token


def test_a_guest_typing_a_fullwidth_domain_lands_on_the_same_profile():
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    numbers = []
    for email in ("carla@example.com", "carla@ｅｘａｍｐｌｅ.com"):
        body = {
            "fulfilment": "pickup",
            "store": store.pk,
            "email": email,
            "lines": [{"variant": item.pk, "quantity": 1}],
            "payment": {"method": "card_online", "token": "tok_visa"},
        }
        response = client.post("/api/v1/checkout/buy-now/", body, format="json")
        assert response.status_code == 201, response.json()
        numbers.append(response.json()["number"])
    customers = {
        order.customer_id for order in Order.objects.filter(number__in=numbers)
    }
    assert len(customers) == 1
    assert Customer.objects.get(pk=customers.pop()).email == "carla@example.com"


@pytest.mark.parametrize("typed", TYPED)
def test_another_spelling_does_not_escape_the_sign_in_limit(settings, typed):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sign_in": "4/minute",  # the sign-up counts as one
        },
    }
    register("anna@example.com")
    client = APIClient()
    wrong = {"email": "anna@example.com", "password": "wrong-guess-1"}
    answers = [
        client.post("/api/v1/auth/token/", wrong, format="json") for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    right = {"email": typed, "password": PASSWORD}
    assert client.post("/api/v1/auth/token/", right, format="json").status_code == 429


def test_the_platform_admin_gets_no_storefront_token_nor_profile():
    admin = User.objects.create_superuser(
        "root", email="root@example.com", password=PASSWORD
    )
    body = {"email": "root@example.com", "password": PASSWORD}
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    client = APIClient()
    client.force_authenticate(admin)
    assert client.get("/api/v1/me/").status_code == 404
    erase = client.post("/api/v1/me/erase/", {"confirm": True}, format="json")
    assert erase.status_code == 404
    admin.refresh_from_db()
    assert admin.is_active and admin.has_usable_password()
    assert not Customer.objects.filter(user=admin).exists()
