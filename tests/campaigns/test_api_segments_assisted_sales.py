"""A phone order is an assisted sale, taken by a shop: segments count it on the
shop's side, never as no purchase at all."""

import pytest

from customers.models import Channel
from omnistore.accounts.models import Role
from tests.campaigns.factories import Shop, person
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PREVIEW = "/api/v1/campaigns/segments/preview/"


@pytest.fixture
def manager(api_client):
    api_client.force_authenticate(UserFactory(role=Role.HQ))
    return api_client


@pytest.fixture
def buyers():
    shop = Shop()
    by_phone, phone_and_web, in_store, online, never = (
        person("Pia"),
        person("Ugo"),
        person("Sara"),
        person("Olga"),
        person("Nina"),
    )
    shop.sell_by_phone(by_phone, days_ago=10)
    shop.sell_by_phone(phone_and_web, days_ago=10)
    shop.sell_online(phone_and_web, channel=Channel.APP)
    shop.sell_in_store(in_store, days_ago=10)
    shop.sell_online(online)
    return {
        "by_phone": by_phone,
        "phone_and_web": phone_and_web,
        "in_store": in_store,
        "online": online,
        "never": never,
    }


def previewed(manager, rules) -> set[str]:
    response = manager.post(PREVIEW, {"rules": rules}, format="json")
    assert response.status_code == 200, response.json()
    return {row["first_name"] for row in response.json()["sample"]}


@pytest.mark.parametrize(
    "value, who",
    [
        ("store_only", {"Pia", "Sara"}),
        ("both", {"Ugo"}),
        ("online_only", {"Olga"}),
        ("none", {"Nina"}),
    ],
)
def test_channels_used_counts_a_phone_order_as_an_assisted_sale(
    manager, buyers, value, who
):
    rules = {"field": "channels_used", "op": "eq", "value": value}
    assert previewed(manager, rules) == who


def test_a_phone_buyer_bought_from_a_shop_within_the_days(manager, buyers):
    rules = {"field": "bought_in_store_within_days", "op": "is_true", "value": 30}
    assert previewed(manager, rules) == {"Pia", "Ugo", "Sara"}
    rules["op"] = "is_false"
    assert previewed(manager, rules) == {"Olga", "Nina"}
