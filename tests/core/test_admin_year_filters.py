"""An admin list filtered by a year no date can have comes back without that filter,
with a message; never a server error. A possible year still filters."""

import pytest
from django.contrib.messages import get_messages

from omnistore.core.middleware import BAD_YEAR_MESSAGE
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "url, key",
    [
        ("/admin/inventory/product/", "created_at__year"),
        ("/admin/inventory/product/", "created_at__iso_year"),
        ("/admin/inventory/product/", "created_at__year__gte"),
        ("/admin/customers/appointment/", "created_at__year"),
        ("/admin/orders/order/", "created_at__year"),
    ],
)
@pytest.mark.parametrize("year", ["0", "-1", "1", "9999", "10000", "99999"])
def test_an_impossible_year_is_left_out_with_a_message(admin_client, url, key, year):
    ProductFactory()

    response = admin_client.get(url, {key: year, "o": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{url}?o=1"
    assert _messages(response) == [BAD_YEAR_MESSAGE]
    assert admin_client.get(response["Location"]).status_code == 200


def test_a_repeated_key_with_one_impossible_year_is_left_out(admin_client):
    url = "/admin/inventory/product/"

    response = admin_client.get(f"{url}?created_at__year=2026&created_at__year=0")

    assert response.status_code == 302
    assert response["Location"] == url


@pytest.mark.parametrize("year", ["2", "2026", "9998"])
def test_a_possible_year_filters_the_list(admin_client, year):
    product = ProductFactory()

    response = admin_client.get("/admin/inventory/product/", {"created_at__year": year})

    assert response.status_code == 200
    expected = 1 if int(year) == product.created_at.year else 0
    assert response.context["cl"].result_count == expected
