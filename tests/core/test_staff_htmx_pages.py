"""A staff address that answers with the page or with a fragment of it says so to the
browser; a button, a search or a poll whose session has ended takes the whole tab to
the login page and back to the page it showed; the login form posts to the login."""

import re
import time

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.staff.sessions import SEEN_AT
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LOGIN = reverse("staff:login")


def page_at(path: str) -> dict:
    return {**HTMX, "HTTP_HX_CURRENT_URL": f"http://testserver{path}"}


@pytest.fixture
def associate(client):
    StaffFactory(username="giulia", store=LocationFactory(code="MI01"))
    response = client.post(LOGIN, {"username": "giulia", "password": "pass-1234"})
    assert response.status_code == 302
    return client


def session_ended(client, settings) -> None:
    session = client.session
    session[SEEN_AT] = time.time() - settings.OMNISTORE_STAFF_IDLE_MINUTES * 60 - 5
    session.save()


def test_a_search_page_says_it_depends_on_htmx_asking(associate):
    lookup = reverse("staff:stock_lookup")
    page = associate.get(lookup, {"q": "shirt"})
    fragment = associate.get(lookup, {"q": "shirt"}, **HTMX)
    assert b"<header" in page.content and b"<header" not in fragment.content
    for response in (page, fragment):
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert {"hx-request", "hx-history-restore-request", "cookie"} <= vary


def test_an_htmx_button_after_the_session_ended_takes_the_tab_to_the_login(
    associate, settings
):
    session_ended(associate, settings)
    response = associate.post(
        reverse("staff:sale_add"),
        {"code": "SHIRT-BLU-M"},
        **page_at("/staff/orders/sale/?mode=pickup"),
    )
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == (
        f"{LOGIN}?next=/staff/orders/sale/%3Fmode%3Dpickup"
    )
    login = associate.get(response["HX-Redirect"])
    assert b"Your session has ended" in login.content
    signed_in = associate.post(
        response["HX-Redirect"],
        {
            "username": "giulia",
            "password": "pass-1234",
            "next": login.context["next"],
        },
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/staff/orders/sale/?mode=pickup"


def test_a_poll_after_the_session_ended_takes_the_tab_to_the_login(client, settings):
    StaffFactory(
        username="marta", role=Role.STORE_MANAGER, store=LocationFactory(code="MI01")
    )
    client.post(LOGIN, {"username": "marta", "password": "pass-1234"})
    queue = reverse("staff:approval_queue")
    assert client.get(queue, **page_at(queue)).status_code in (200, 204)
    session_ended(client, settings)
    response = client.get(queue, {"seen": "x"}, **page_at(queue))
    assert response["HX-Redirect"] == f"{LOGIN}?next=/staff/approvals/"
    assert "_auth_user_id" not in client.session


def test_htmx_without_a_page_of_this_site_goes_to_the_login_alone(client):
    for current in ({}, {"HTTP_HX_CURRENT_URL": "https://elsewhere.example/x"}):
        response = client.get(reverse("staff:stock_lookup"), **HTMX, **current)
        assert response["HX-Redirect"] == LOGIN


def test_without_htmx_the_login_comes_back_to_the_address_asked_for(client):
    response = client.get(reverse("staff:stock_lookup"), {"q": "shirt"})
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/staff/stock/%3Fq%3Dshirt"
    assert "HX-Redirect" not in response


def test_the_login_form_posts_to_the_login_wherever_it_shows(client):
    html = client.get(LOGIN, {"next": "/staff/orders/sale/"}).content.decode()
    forms = re.findall(r"<form\b[^>]*>", html)
    assert forms == [f'<form method="post" action="{LOGIN}">']
    assert 'name="next" value="/staff/orders/sale/"' in html
