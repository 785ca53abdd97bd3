"""A digit of another script ("²", "٣") in a staff or admin parameter is bad input
like any other text: a form error, an ignored filter or a 404, never a server error
(``"²".isdigit()`` is true, ``int("²")`` fails)."""

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from tests.factories import StaffFactory, UserFactory, VariantFactory, stock
from tests.orders.factories import shop, warehouse

pytestmark = pytest.mark.django_db
OTHER = "²"


@pytest.fixture
def store():
    return shop(code="MI01")


def signed_in(client, user):
    client.force_login(user)
    return client


def test_staff_pages_take_other_digits_as_bad_input(client, store):
    item = VariantFactory(sku="WSH-1")
    stock(item, warehouse(), 5)
    signed_in(client, StaffFactory(store=store))
    new = reverse("staff:transfer_create")
    asked = client.get(new, {"direction": "in", "lines": f"WSH-1 {OTHER}"})
    assert asked.status_code == 200
    sent = client.post(new, {"direction": "in", "lines": f"WSH-1 {OTHER}"})
    assert sent.status_code in (200, 400, 422)
    assert (
        client.get(reverse("staff:transfer_list"), {"location": OTHER}).status_code
        == 200
    )
    manager = StaffFactory(store=store, role=Role.STORE_MANAGER, username="mgr")
    signed_in(client, manager)
    book = client.get(reverse("staff:my_clients"), {"associate": OTHER})
    assert book.status_code == 404  # no such associate, as for any other text


def test_admin_pages_take_other_digits_as_bad_input(client):
    signed_in(
        client,
        UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True),
    )
    assert (
        client.get(
            reverse("admin:orders_discountcode_changelist"), {"q": OTHER}
        ).status_code
        == 200
    )
    report = client.get(reverse("admin:campaigns_campaign_report"), {"campaign": OTHER})
    assert report.status_code in (200, 400, 404)


def test_a_store_manager_cannot_open_the_campaign_report(client, store):
    manager = StaffFactory(
        store=store, role=Role.STORE_MANAGER, username="mgr", is_staff=True
    )
    signed_in(client, manager)
    assert client.get(reverse("admin:campaigns_campaign_changelist")).status_code == 403
    assert client.get(reverse("admin:campaigns_campaign_report")).status_code == 403
