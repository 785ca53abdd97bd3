"""HQ picks the shop they act for and goes back to the page they were on, never to
another site."""

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(role=Role.HQ, username="hq"))
    return client


def switch(client, next_url, **extra):
    shop = LocationFactory(code="RM01", name="Roma")
    return client.post(
        reverse("staff:switch_store"), {"store": shop.pk, "next": next_url}, **extra
    )


def test_switching_shop_goes_back_to_the_page_it_came_from(hq):
    response = switch(hq, "/staff/stock/?q=shirt")
    assert response.status_code == 302
    assert response["Location"] == "/staff/stock/?q=shirt"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/staff/",
        "//evil.example/staff/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
    ],
)
def test_switching_shop_never_sends_the_user_to_another_site(hq, next_url):
    response = switch(hq, next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:dashboard")


def test_a_full_address_on_this_site_is_kept(hq):
    response = switch(hq, "http://testserver/staff/customers/")
    assert response["Location"] == "http://testserver/staff/customers/"
