"""What the door's text hygiene leaves alone, and where its refusal page leads back.

A password or a PIN is compared, never shown: it keeps the bidirectional controls
that names lose (a password holding one must still sign in, at the API and on the
staff pages). The 400 page's "Back" link stays on this site whatever path was sent."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from rest_framework.test import APIClient

from omnistore.core.middleware import bad_request
from omnistore.core.text import data_without_bidi_controls, form_without_bidi_controls
from tests.factories import StaffFactory
from tests.orders.factories import shop

PASSWORD = "long-enough-\u202epass-\u2066phrase"


@pytest.mark.django_db
def test_a_password_with_a_bidi_control_still_signs_in_at_the_api():
    body = {"email": "anna@example.com", "password": PASSWORD}
    assert (
        APIClient().post("/api/v1/auth/register/", body, format="json").status_code
        == 201
    )
    user = get_user_model().objects.get(email="anna@example.com")
    assert user.check_password(PASSWORD)
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_a_password_with_a_bidi_control_still_signs_in_on_the_staff_pages(client):
    staff = StaffFactory(store=shop(country="IT"), username="giulia")
    staff.set_password(PASSWORD)
    staff.save(update_fields=["password"])
    response = client.post(
        "/staff/login/", {"username": "giulia", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_secrets_keep_what_names_lose():
    from django.http import QueryDict

    form = QueryDict(mutable=True)
    form.update(
        {"first_name": "A\u202eB", "password": "p\u202eq", "manager_pin": "1\u20662"}
    )
    cleaned = form_without_bidi_controls(form)
    assert cleaned["first_name"] == "AB"
    assert cleaned["password"] == "p\u202eq"
    assert cleaned["manager_pin"] == "1\u20662"
    data = data_without_bidi_controls({"name": "A\u202eB", "new_password": "p\u202eq"})
    assert data == {"name": "AB", "new_password": "p\u202eq"}


@pytest.mark.parametrize("path", ["//evil.example/", "/\\evil.example/"])
def test_the_way_back_never_leaves_the_site(path):
    request = RequestFactory().get("/", {"q": "x"})
    request.path = path
    page = bad_request(request, "Null characters are not allowed.").content.decode()
    assert 'href="/staff/"' in page
    assert "evil.example" not in page


def test_the_way_back_is_the_page_itself_without_what_was_sent():
    request = RequestFactory().get("/admin/orders/order/", {"created_at__gte": "x"})
    page = bad_request(request, "Out of range.").content.decode()
    assert 'href="/admin/orders/order/"' in page
