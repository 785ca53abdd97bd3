"""Unhandled errors under /api/ are the API's JSON error body; elsewhere Django's page."""

from django.test import RequestFactory

from omnistore import urls
from omnistore.core.errors import server_error


def test_an_api_500_is_json_and_a_staff_500_is_html():
    assert urls.handler500 == "omnistore.core.errors.server_error"
    api = server_error(RequestFactory().post("/api/v1/checkout/"))
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"
    assert b'"code": "server_error"' in api.content
    staff = server_error(RequestFactory().get("/staff/"))
    assert staff.status_code == 500
    assert staff["Content-Type"].startswith("text/html")
