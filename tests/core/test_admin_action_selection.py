"""An admin action posted with ids that are not the list's keys goes back to the list
with a message and changes nothing; it never fails as a server error."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages

from omnistore.core.middleware import BAD_SELECTION_MESSAGE
from orders.models import DiscountCode
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
JUNK = ["abc", "1e309", "", "1.5", str(2**70)]


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("junk", JUNK)
def test_our_own_action_refuses_ids_that_are_not_keys(client, admin_user, junk):
    client.force_login(admin_user)
    code = DiscountCode.objects.create(
        code="KEEP", kind="fixed", value="5.00", active=True
    )

    response = client.post(
        "/admin/orders/discountcode/",
        {"action": "deactivate", "_selected_action": [code.pk, junk]},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/orders/discountcode/"
    assert _messages(response) == [BAD_SELECTION_MESSAGE]
    code.refresh_from_db()
    assert code.active is True


@pytest.mark.parametrize(
    "url, action",
    [
        ("/admin/inventory/product/", "delete_selected"),
        ("/admin/auth/group/", "delete_selected"),  # registered by Django itself
        ("/admin/orders/order/", "export_csv"),
        ("/admin/customers/customer/", "merge_selected"),
    ],
)
def test_every_list_refuses_them(client, admin_user, url, action):
    client.force_login(admin_user)
    ProductFactory()
    Group.objects.create(name="kept")

    response = client.post(url, {"action": action, "_selected_action": ["abc"]})

    assert response.status_code == 302
    assert _messages(response) == [BAD_SELECTION_MESSAGE]
    assert Group.objects.filter(name="kept").exists()


def test_a_selection_of_keys_still_runs_the_action(client, admin_user):
    client.force_login(admin_user)
    group = Group.objects.create(name="gone")

    response = client.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [group.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert BAD_SELECTION_MESSAGE not in _messages(response)
    assert not Group.objects.filter(pk=group.pk).exists()
