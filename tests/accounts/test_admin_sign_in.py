"""Signing in to the admin: managers and headquarters get in; an associate, or a wrong
password, is told alike where associates sign in; a page a role does not open says
so in words."""

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-1234"
ASSOCIATES_GO = "Store associates sign in to the staff pages at /staff/."


def login(role: str, shop):
    user = UserFactory(username=f"{role}-login")
    user.set_password(PASSWORD)
    user.save()
    assign_role(user=user, role=role, shops=[shop], home=shop)
    return user


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}
    )


def test_an_associate_and_a_wrong_password_are_told_alike_where_to_go(client):
    shop = LocationFactory()
    associate = login(Role.ASSOCIATE, shop)
    manager = login(Role.STORE_MANAGER, shop)
    refused = sign_in(client, associate.username)
    wrong = sign_in(client, manager.username, "not-the-password")
    for response in (refused, wrong):
        assert response.status_code == 200
        assert ASSOCIATES_GO in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert sign_in(client, manager.username).status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


def test_a_page_the_role_does_not_open_says_so(client):
    shop = LocationFactory()
    client.force_login(login(Role.STORE_MANAGER, shop))
    response = client.get(reverse("admin:orders_order_vat_ledger"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "This page is not for your login" in body
    assert 'href="/staff/"' in body
