"""A number past what the database holds, in an admin list's filter or anywhere else,
is the client's error (400), never a server error: a page with a way back to the list,
the API's error body under /api/."""

import json

import pytest
from django.db import connection
from django.test import RequestFactory

from omnistore.core.middleware import OUT_OF_RANGE_MESSAGE, OutOfRangeMiddleware
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
HUGE = str(2**70)


@pytest.mark.parametrize(
    "url, lookup",
    [
        ("/admin/inventory/product/", "category"),
        ("/admin/inventory/variant/", "product"),
        ("/admin/customers/clienttask/", "shop"),
        ("/admin/inventory/location/", "market__exact"),
    ],
)
def test_an_admin_filter_past_64_bits_never_fails_as_a_500(admin_client, url, lookup):
    ProductFactory()
    for value in (HUGE, f"-{HUGE}"):
        response = admin_client.get(url, {lookup: value})
        if connection.vendor == "sqlite":  # the driver cannot bind the number
            assert response.status_code == 400
            assert response["Content-Type"].startswith("text/html")
            page = response.content.decode()
            assert OUT_OF_RANGE_MESSAGE in page and f'href="{url}"' in page
        else:  # PostgreSQL compares it as a number: nothing matches
            assert response.status_code == 200
            assert response.context["cl"].result_count == 0


def test_under_the_api_the_answer_is_the_json_error_body():
    middleware = OutOfRangeMiddleware(lambda request: None)
    request = RequestFactory().get("/api/v1/products/")

    response = middleware.process_exception(request, OverflowError("too large"))

    assert response.status_code == 400
    assert json.loads(response.content) == {
        "message": OUT_OF_RANGE_MESSAGE,
        "code": "invalid",
        "extra": {"non_field_errors": [OUT_OF_RANGE_MESSAGE]},
        "non_field_errors": [OUT_OF_RANGE_MESSAGE],
    }
    assert middleware.process_exception(request, ValueError("other")) is None
