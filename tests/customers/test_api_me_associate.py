"""A customer sees who looks after them: their associate's first name and shop, no
more (no surname, no login, no contact), in /api/v1/me/."""

import pytest

from customers.services.clientbook import assign_associate
from tests.customers.factories import CustomerUserFactory
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_me_shows_the_associates_first_name_and_shop_only(
    api_client, django_assert_num_queries
):
    user = CustomerUserFactory()
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/me/").json()["associate"] is None

    anna = StaffFactory(
        first_name="Anna", last_name="Verdi", store=LocationFactory(name="Brera")
    )
    assign_associate(customer=user.customer_profile, associate=anna, actor=anna)
    with django_assert_num_queries(
        3
    ):  # login's profile, profile + associate, identities
        body = api_client.get("/api/v1/me/").json()
    assert body["associate"] == {"first_name": "Anna", "shop": "Brera"}

    anna.is_active = False  # gone from the shop: no name to ask for
    anna.save(update_fields=["is_active"])
    assert api_client.get("/api/v1/me/").json()["associate"] is None


def test_the_schema_describes_the_associate(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    profile = schema["components"]["schemas"]["Profile"]["properties"]["associate"]
    assert profile["nullable"] is True or "oneOf" in profile or "allOf" in profile
    associate = schema["components"]["schemas"]["AssociateOut"]["properties"]
    assert set(associate) == {"first_name", "shop"}
