"""``/me/sizes/``: the signed-in customer sees the sizes learned from what they kept,
and confirms or corrects one; no one reaches another's."""

import pytest
from rest_framework.authtoken.models import Token

from customers.models import CustomerEvent
from tests.customers.factories import CustomerUserFactory
from tests.factories import CategoryFactory, ProductFactory, StaffFactory, stock
from tests.orders.factories import deliver_outbox, pickup_order, shop, variant
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

SIZES = "/api/v1/me/sizes/"


@pytest.fixture
def shopper(api_client):
    user = CustomerUserFactory()
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return user.customer_profile


@pytest.fixture
def bought_m_knitwear(shopper):
    store = shop()
    knitwear = CategoryFactory(slug="women-knitwear", name="Knitwear")
    item = variant(product=ProductFactory(category=knitwear), size="M")
    stock(item, store, 5)
    counter_sale(
        store=store,
        lines=[(item, 2)],
        staff=StaffFactory(store=store),
        customer=shopper,
    )
    deliver_outbox()


def test_my_sizes_list_what_was_learned_from_my_purchases(
    api_client, shopper, bought_m_knitwear, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = api_client.get(SIZES)

    assert response.status_code == 200
    assert response.json() == [
        {
            "category": {"slug": "women-knitwear", "name": "Knitwear", "parent": None},
            "size": "M",
            "source": "learned",
            "stated": "",
            "learned": "M",
            "units_kept": 2,
        }
    ]


def test_i_correct_a_size_and_take_the_correction_back(
    api_client, shopper, bought_m_knitwear
):
    CategoryFactory(slug="men-shoes", name="Shoes")

    corrected = api_client.patch(
        SIZES, {"category": "women-knitwear", "size": " L "}, format="json"
    )
    api_client.patch(SIZES, {"category": "men-shoes", "size": "43"}, format="json")

    assert corrected.status_code == 200
    assert corrected.json()[0]["size"] == "L"
    body = api_client.get(SIZES).json()
    assert [(r["category"]["slug"], r["size"], r["source"]) for r in body] == [
        ("women-knitwear", "L", "stated"),
        ("men-shoes", "43", "stated"),
    ]
    assert CustomerEvent.objects.filter(
        customer=shopper, kind="size_stated", summary="Takes L in Knitwear"
    ).exists()
    back = api_client.patch(
        SIZES, {"category": "women-knitwear", "size": ""}, format="json"
    )
    assert [r["source"] for r in back.json()] == ["learned", "stated"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "nowhere", "size": "M"}, "category"),
        ({"category": "women-knitwear", "size": "X" * 21}, "size"),
        ({"category": "women-knitwear"}, "size"),
        ({"category": ["a"], "size": "M"}, "category"),
        ({}, "category"),
        ({"category": "women-knitwear", "size": 1e30}, "size"),
        ({"category": "women-knitwear", "size": -1}, "size"),
    ],
)
def test_a_bad_correction_is_a_field_error_and_changes_nothing(
    api_client, shopper, bought_m_knitwear, body, field
):
    response = api_client.patch(SIZES, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["extra"]
    assert api_client.get(SIZES).json()[0]["source"] == "learned"


def test_my_sizes_need_a_login_with_a_profile(api_client):
    assert api_client.get(SIZES).status_code in (401, 403)
    staff = StaffFactory()
    api_client.force_authenticate(staff)
    assert api_client.get(SIZES).status_code == 404


def test_a_cancelled_order_no_longer_teaches_its_size(api_client, shopper):
    store = shop()
    knitwear = CategoryFactory(slug="women-knitwear", name="Knitwear")
    product = ProductFactory(category=knitwear)
    large, medium = (
        variant(product=product, size="L"),
        variant(product=product, size="M"),
    )
    stock(large, store, 5)
    stock(medium, store, 5)
    staff = StaffFactory(store=store)
    counter_sale(store=store, lines=[(large, 1)], staff=staff, customer=shopper)
    order = pickup_order(store=store, lines=[(medium, 1)], customer=shopper)
    deliver_outbox()
    assert api_client.get(SIZES).json()[0]["learned"] == "M"  # the tie: kept last

    response = api_client.post(f"/api/v1/orders/{order.number}/cancel/")
    assert response.status_code == 200, response.json()
    deliver_outbox()

    (row,) = api_client.get(SIZES).json()
    assert (row["size"], row["learned"], row["units_kept"]) == ("L", "L", 1)
