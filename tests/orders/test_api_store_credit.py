"""``/api/v1/me/store-credit/``: the signed-in customer's store credit balance and what
of it expires next, and when. A customer only ever sees their own."""

from datetime import datetime, timedelta

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from omnistore.core.dates import end_of_day_after
from orders.models import StoreCreditTransaction
from tests.factories import StaffFactory
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import give_credit, spend_credit

pytestmark = pytest.mark.django_db

CREDIT = "/api/v1/me/store-credit/"


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_next_expiry_shows_what_is_left_of_the_oldest_credit_and_its_date():
    user, customer = shopper()
    give_credit(customer, "40.00", ref="first")
    later = timezone.now() + timedelta(days=2)
    give_credit(customer, "25.00", "second", now=later, reason="Return")
    spend_credit(customer, "15.00", "1")
    first = StoreCreditTransaction.objects.get(reference="test:first")

    body = api_client_for(user).get(CREDIT).json()

    assert (body["balance"], body["currency"]) == ("50.00", "EUR")
    assert body["next_expiry"]["amount"] == "25.00"
    assert body["next_expiry"]["currency"] == "EUR"
    assert when(body["next_expiry"]["expires_at"]) == first.expires_at
    assert first.expires_at == end_of_day_after(first.created_at, 365)


def test_credit_that_never_expires_has_no_next_expiry(settings):
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 0
    user, customer = shopper()
    give_credit(customer, "40.00")

    body = api_client_for(user).get(CREDIT).json()

    assert body == {"balance": "40.00", "currency": "EUR", "next_expiry": None}


def test_i_see_only_my_own_credit(django_assert_num_queries):
    user, customer = shopper("ada@example.com")
    _, other = shopper("bob@example.com")
    give_credit(other, "90.00", ref="bob")
    give_credit(customer, "10.00", ref="ada")
    client = api_client_for(user)

    with django_assert_num_queries(3):  # token, profile, ledger
        body = client.get(CREDIT).json()

    assert (body["balance"], body["next_expiry"]["amount"]) == ("10.00", "10.00")


def test_store_credit_needs_a_signed_in_customer(api_client):
    assert api_client.get(CREDIT).status_code == 401
    assert api_client_for(StaffFactory()).get(CREDIT).status_code == 404


def test_the_schema_describes_the_next_expiry(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())

    answer = schema["paths"][CREDIT]["get"]["responses"]["200"]["content"]
    ref = answer["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    output = schema["components"]["schemas"][ref]
    assert set(output["properties"]) == {"balance", "currency", "next_expiry"}
    expiry = schema["components"]["schemas"]["StoreCreditExpiryOutput"]
    assert set(expiry["properties"]) == {"amount", "currency", "expires_at"}
    assert expiry["properties"]["expires_at"]["format"] == "date-time"
    profile = schema["components"]["schemas"]["Profile"]["properties"]
    assert CREDIT in profile["store_credit_balance"]["description"]
