"""Managers' API: segments are validated by the same rules, previews are counted."""

from decimal import Decimal

import pytest

from campaigns.models import Segment
from campaigns.segments.compiler import MAX_LISTED_VALUES
from omnistore.accounts.models import Role
from orders.models import Order
from tests.campaigns.factories import Shop, person
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(api_client):
    api_client.force_authenticate(UserFactory(role=Role.HQ))
    return api_client


def test_bad_rules_answer_400_with_every_error(manager):
    response = manager.post(
        "/api/v1/campaigns/segments/",
        {
            "name": "Bad",
            "rules": {
                "any": [
                    {"field": "has_wishlist_item", "op": "is_true", "variant": "x"},
                    {"field": "orders_count", "op": "contains", "value": 1},
                ]
            },
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_segment"
    assert len(body["extra"]["rules"]) == 2
    assert "any[0].variant: expected a variant id" in body["extra"]["rules"][0]
    assert (
        "operator 'contains' is not valid for 'orders_count'"
        in body["extra"]["rules"][1]
    )
    assert not Segment.objects.exists()


def test_create_and_preview(manager):
    shop = Shop()
    buyer = person("Ada")
    shop.sell_online(buyer)
    rules = {"field": "channels_used", "op": "eq", "value": "online_only"}
    preview = manager.post(
        "/api/v1/campaigns/segments/preview/", {"rules": rules}, format="json"
    )
    assert preview.status_code == 200
    assert preview.json() == {
        "count": 1,
        "sample": [{"id": buyer.pk, "first_name": "Ada", "last_name": buyer.last_name}],
    }
    created = manager.post(
        "/api/v1/campaigns/segments/", {"name": "Online", "rules": rules}, format="json"
    )
    assert created.status_code == 201
    saved = manager.get(f"/api/v1/campaigns/segments/{created.json()['id']}/preview/")
    assert saved.json()["count"] == 1
    assert manager.get("/api/v1/campaigns/report/").status_code == 200
    fields = manager.get("/api/v1/campaigns/rule-fields/").json()
    assert "bought_in_store_within_days" in {f["field"] for f in fields}


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.HQ, None])
def test_only_managers_use_it(api_client, role):
    if role == Role.CUSTOMER:
        api_client.force_authenticate(UserFactory(role=role))
    elif role == Role.HQ:
        api_client.force_authenticate(UserFactory(role=role, is_active=True))
    status = api_client.get("/api/v1/campaigns/segments/").status_code
    assert status == (200 if role == Role.HQ else 403 if role else 401)


@pytest.mark.parametrize("value", ["1e999999", "1E-999999", "10000000000.00", "1.001"])
def test_an_amount_no_total_can_hold_is_refused(manager, value):
    response = manager.post(
        "/api/v1/campaigns/segments/",
        {"name": "Big", "rules": {"field": "total_spent", "op": "gte", "value": value}},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "in cents at most" in response.json()["extra"]["rules"][0]
    assert not Segment.objects.exists()


def test_a_description_is_two_thousand_characters_at_most(manager):
    rules = {"field": "channels_used", "op": "eq", "value": "online_only"}
    body = {"name": "Long", "description": "x" * 2001, "rules": rules}
    response = manager.post("/api/v1/campaigns/segments/", body, format="json")
    assert response.status_code == 400
    assert "description" in response.json()["extra"]
    body["description"] = "x" * 2000
    created = manager.post("/api/v1/campaigns/segments/", body, format="json")
    assert created.status_code == 201


def _repeated_channels_rules(rules: int) -> dict:
    every = ["both", "none", "online_only", "store_only"] * 125
    return {
        "any": [
            {"field": "channels_used", "op": "in", "value": every} for _ in range(rules)
        ]
    }


@pytest.mark.parametrize("rules", [5, 60])
def test_repeated_channel_values_are_previewed_saved_and_opened(manager, rules):
    shop = Shop()
    online, store, nobody = person("Ada"), person("Bea"), person("Cai")
    shop.sell_online(online)
    shop.sell_in_store(store)
    body = _repeated_channels_rules(rules)

    preview = manager.post(
        "/api/v1/campaigns/segments/preview/", {"rules": body}, format="json"
    )
    assert preview.status_code == 200, preview.json()
    assert preview.json()["count"] == 3
    created = manager.post(
        "/api/v1/campaigns/segments/", {"name": "All", "rules": body}, format="json"
    )
    assert created.status_code == 201, created.json()
    saved = manager.get(f"/api/v1/campaigns/segments/{created.json()['id']}/preview/")
    assert saved.status_code == 200, saved.json()
    assert {c["id"] for c in saved.json()["sample"]} == {
        online.pk,
        store.pk,
        nobody.pk,
    }


def test_rules_too_large_to_run_answer_400_at_preview_and_save(manager):
    too_large = {
        "any": [
            {
                "field": "last_name",
                "op": "in",
                "value": [f"n{i}-{n}" for n in range(500)],
            }
            for i in range(MAX_LISTED_VALUES // 500 + 1)
        ]
    }
    preview = manager.post(
        "/api/v1/campaigns/segments/preview/", {"rules": too_large}, format="json"
    )
    created = manager.post(
        "/api/v1/campaigns/segments/",
        {"name": "Huge", "rules": too_large},
        format="json",
    )
    stored = Segment.objects.create(name="Stored huge", rules=too_large)
    saved = manager.get(f"/api/v1/campaigns/segments/{stored.pk}/preview/")

    for response in (preview, created, saved):
        assert response.status_code == 400, response.json()
        body = response.json()
        assert body["code"] == "invalid_segment"
        assert "too large to run as one query" in body["extra"]["rules"][0]
    assert list(Segment.objects.values_list("name", flat=True)) == ["Stored huge"]


def test_total_spent_counts_the_home_currency_only(manager):
    """Euros and francs are never added up: 347.00 EUR and 194.25 CHF is 347.00."""
    shop = Shop(price="347.00")
    buyer = person("Chiara")
    shop.sell_online(buyer)
    in_francs = shop.sell_online(buyer)
    Order.objects.filter(pk=in_francs.pk).update(
        currency="CHF", total=Decimal("194.25")
    )
    rules = {"field": "total_spent", "op": "gte", "value": "500"}

    preview = manager.post(
        "/api/v1/campaigns/segments/preview/", {"rules": rules}, format="json"
    )

    assert preview.status_code == 200
    assert preview.json()["count"] == 0
    rules["value"] = "347"
    again = manager.post(
        "/api/v1/campaigns/segments/preview/", {"rules": rules}, format="json"
    )
    assert again.json()["count"] == 1


TOO_LARGE_ID = 100000000000000000000


@pytest.mark.parametrize(
    "rule, said",
    [
        (
            {"field": "preferred_store", "op": "eq", "value": TOO_LARGE_ID},
            f"preferred_store: no store with id [{TOO_LARGE_ID}].",
        ),
        (
            {"field": "preferred_store", "op": "in", "value": [1, TOO_LARGE_ID]},
            f"preferred_store: no store with id [1, {TOO_LARGE_ID}].",
        ),
        (
            {"field": "has_wishlist_item", "op": "is_true", "variant": TOO_LARGE_ID},
            f"variant: no variant with id [{TOO_LARGE_ID}].",
        ),
        (
            {
                "field": "engaged_with_campaign",
                "op": "is_true",
                "value": 30,
                "campaign": TOO_LARGE_ID,
            },
            f"engaged_with_campaign: no campaign [{TOO_LARGE_ID}].",
        ),
    ],
)
def test_an_id_past_any_key_is_no_such_thing_at_preview_and_save(manager, rule, said):
    preview = manager.post(
        "/api/v1/campaigns/segments/preview/", {"rules": rule}, format="json"
    )
    created = manager.post(
        "/api/v1/campaigns/segments/", {"name": "Far", "rules": rule}, format="json"
    )

    for response in (preview, created):
        assert response.status_code == 400, response.json()
        body = response.json()
        assert body["code"] == "invalid_segment"
        assert body["extra"]["rules"] == [said]
    assert not Segment.objects.exists()
