"""``GET /api/v1/me/export/`` holds everything kept about the signed-in person, in
every app: profile, identities, consents and their history, timeline, notes, points,
wishlists with items and shares, orders with lines and addresses, returns, store
credit, carts and campaign messages."""

import pytest
from rest_framework.authtoken.models import Token

from tests.customers.personal_data import (
    EMAIL,
    FIRST,
    FRIEND,
    OLD_EMAIL,
    PHONE,
    STREET,
    seed_person,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(api_client):
    person = seed_person()
    token = Token.objects.get(user=person.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get("/api/v1/me/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return person, response.json()


def test_profile_identities_addresses_and_merged_profiles(exported):
    person, data = exported
    assert data["profile"]["email"] == EMAIL
    assert data["profile"]["loyalty_number"] == person.customer.loyalty_number
    assert len(data["profile"]["merged_profiles"]) == 1
    assert {EMAIL, OLD_EMAIL, PHONE} <= {i["value"] for i in data["identities"]}
    assert data["addresses"][0]["line1"] == STREET


def test_consents_now_and_every_decision_before(exported):
    _, data = exported
    assert {c["channel"]: c["granted"] for c in data["current_consents"]} == {
        "email": True,
        "sms": True,
    }
    assert [c["channel"] for c in data["consents"]] == ["email", "sms"]


def test_timeline_notes_and_points(exported):
    _, data = exported
    kinds = {e["kind"] for e in data["events"]}
    assert {"customer_created", "order_placed", "wishlist_shared"} <= kinds
    assert data["notes"][0]["text"].startswith(FIRST)
    assert [p["points"] for p in data["points"]] == [7]


def test_wishlists_with_items_and_shares(exported):
    _, data = exported
    (wishlist,) = data["wishlists"]
    assert wishlist["name"] == f"{FIRST}'s gifts"
    assert wishlist["items"][0]["note"].startswith("For ")
    assert wishlist["shared_by_email"][0]["to"] == FRIEND


def test_orders_with_lines_addresses_payments_and_history(exported):
    _, data = exported
    assert len(data["orders"]) == 2
    order = data["orders"][0]
    assert order["email"] == EMAIL and order["lines"][0]["quantity"] == 2
    assert order["fulfilments"][0]["address"]["line1"] == STREET
    assert order["payments"][0]["amount"] == "80.00"
    assert [h["to"] for h in order["history"]][:2] == ["placed", "picked"]
    cancelled = data["orders"][1]
    assert cancelled["status"] == "cancelled"
    assert cancelled["payments"][0]["refunds"][0]["reason"].startswith(FIRST)


def test_returns_store_credit_carts_and_campaign_messages(exported):
    _, data = exported
    (ret,) = data["returns"]
    assert ret["status"] == "refunded" and ret["note"].endswith("brought it back")
    assert ret["lines"][0]["note"].startswith(FIRST)
    assert sorted(t["amount"] for t in data["store_credit"]) == ["40.00", "5.00"]
    assert data["carts"] == []
    assert {m["channel"]: m["status"] for m in data["campaign_messages"]} == {
        "email": "failed",
        "sms": "queued",
    }
    assert data["discount_codes_used"] == []


def test_every_section_is_present(exported):
    _, data = exported
    assert set(data) == {
        "appointments",
        "profile",
        "identities",
        "addresses",
        "current_consents",
        "consents",
        "events",
        "notes",
        "points",
        "wishlists",
        "client_tasks",
        "product_views",
        "learned_sizes",
        "orders",
        "returns",
        "invoices",
        "store_credit",
        "carts",
        "discount_codes_used",
        "gift_cards_bought",
        "gift_cards_received",
        "messages",
        "campaign_messages",
    }
