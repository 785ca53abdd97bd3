"""Unhandled errors under /api/ are the API's JSON error body, elsewhere a page saying
what to do; the database gone before any view runs is a 503 to retry, not a 500."""

import pytest
from django.db import connection
from django.test import RequestFactory

from omnistore import urls
from omnistore.core.errors import server_error
from tests.concurrency import kill_own_connection
from tests.factories import LocationFactory, StaffFactory


def test_an_api_500_is_json_and_a_staff_500_is_html():
    assert urls.handler500 == "omnistore.core.errors.server_error"
    api = server_error(RequestFactory().post("/api/v1/checkout/"))
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"
    assert b'"code": "server_error"' in api.content
    staff = server_error(RequestFactory().get("/staff/"))
    assert staff.status_code == 500
    assert staff["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_host_not_allowed_is_a_json_400_under_the_api_and_a_page_elsewhere(client):
    api = client.get("/api/v1/products/", HTTP_HOST="evil.example.com")
    assert api.status_code == 400
    assert api["Content-Type"] == "application/json"
    assert api.json()["code"] == "bad_request"
    page = client.get("/staff/login/", HTTP_HOST="evil.example.com")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


def test_the_staff_500_page_says_what_to_do():
    page = server_error(RequestFactory().get("/staff/orders/sale/"))
    text = page.content.decode()
    assert "Something went wrong on our side" in text
    assert "Check the sale, order or stock before you try it again" in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_gone_before_any_view_is_a_503_to_retry(client):
    staff = StaffFactory(store=LocationFactory())
    client.force_login(staff)
    client.raise_request_exception = False

    try:
        kill_own_connection()
        page = client.get("/staff/")  # the session is read before any view runs
        connection.close()  # as a server does at the end of a failed request
        kill_own_connection()
        api = client.get("/api/v1/cart/")
        connection.close()
        again = client.get("/staff/")
    finally:
        connection.close()

    assert page.status_code == 503
    assert page["Retry-After"] == "1"
    assert "The system is busy or restarting" in page.content.decode()
    assert api.status_code == 503
    assert api.json()["code"] == "database_unavailable"
    assert again.status_code == 200  # a new connection for the next request
