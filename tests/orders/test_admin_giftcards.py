"""The gift cards list in the admin offers the stored-value liability report to those
who may open it: staff who see every shop."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from omnistore.accounts.models import Role
from tests.factories import UserFactory
from tests.orders.factories import shop
from tests.orders.stored_value_helpers import gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CARDS = reverse("admin:orders_giftcard_changelist")
LIABILITY = reverse("admin:orders_giftcard_liability")


def test_headquarters_find_the_liability_report_on_the_gift_cards_list(client):
    gift_card("25.00")
    client.force_login(UserFactory(username="hq-cards", role=Role.HQ, is_staff=True))

    listed = client.get(CARDS)

    assert listed.status_code == 200
    assert f'href="{LIABILITY}"' in listed.content.decode()
    assert client.get(LIABILITY).status_code == 200


def test_a_store_manager_is_not_offered_the_report_they_may_not_open(client):
    manager = UserFactory(
        username="marco-cards", role=Role.STORE_MANAGER, store=shop(), is_staff=True
    )
    client.force_login(manager)
    # The role does not read gift cards at all.
    assert client.get(CARDS).status_code == 403

    # Given the list by hand, a manager scoped to a shop still may not open the
    # company-wide report, and the list does not link to it.
    manager.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="orders", codename="view_giftcard"
        )
    )
    gift_card("25.00")
    listed = client.get(CARDS)

    assert listed.status_code == 200
    assert LIABILITY not in listed.content.decode()
    assert client.get(LIABILITY).status_code == 403
