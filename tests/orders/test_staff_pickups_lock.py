"""The pickup desk after too many wrong codes: the order says it is locked, the
associate cannot unlock it, a store manager can (and says why)."""

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import Order, OrderStatus
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import ready_order

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory()


@pytest.fixture
def order(shop, settings):
    settings.OMNISTORE_PICKUP_CODE_MAX_FAILURES = 3
    item = VariantFactory()
    stock(item, shop, 5)
    return ready_order(store=shop, lines=[(item, 1)])


def test_a_code_typed_with_letters_outside_ascii_is_a_wrong_code(client, order, shop):
    client.force_login(StaffFactory(store=shop, username="desk"))
    url = reverse("staff:pickup_collect", args=[order.number])
    for typed in ("é", "TJ7YTA4Ç"):
        response = client.post(url, {"code": typed}, **HTMX)
        assert response.status_code == 422
    assert "1 try left" in response.content.decode()  # counted as wrong codes
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY


def test_the_desk_locks_after_wrong_codes_and_a_manager_unlocks(client, order, shop):
    associate = StaffFactory(store=shop, username="desk")
    client.force_login(associate)
    url = reverse("staff:pickup_collect", args=[order.number])
    for left in ("2 tries left", "1 try left"):
        response = client.post(url, {"code": "WRONGONE"}, **HTMX)
        assert response.status_code == 422
        assert left in response.content.decode()
    locked = client.post(url, {"code": "WRONGONE"}, **HTMX)
    assert locked.status_code == 422
    assert 'data-testid="pickup-locked"' in locked.content.decode()
    assert "Locked — a manager must unlock." in locked.content.decode()

    page = client.get(url).content.decode()
    assert 'data-testid="pickup-locked"' in page
    assert 'data-testid="unlock-form"' not in page  # not for an associate
    assert 'data-testid="hand-over"' not in page
    right = client.post(url, {"code": order.pickup_code}, **HTMX)
    assert right.status_code == 422
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY

    unlock = reverse("staff:pickup_unlock", args=[order.number])
    refused = client.post(unlock, {"note": "me"}, **HTMX)
    assert refused.status_code == 422
    assert "Only a store manager or HQ" in refused.content.decode()
    assert Order.objects.get(pk=order.pk).pickup_locked_at is not None

    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER, username="boss")
    client.force_login(manager)
    assert 'data-testid="unlock-form"' in client.get(url).content.decode()
    assert client.post(unlock, {"note": ""}, **HTMX).status_code == 422
    done = client.post(unlock, {"note": "customer showed ID"})
    assert done.status_code == 302 and done["Location"] == url
    order = Order.objects.get(pk=order.pk)
    assert order.pickup_locked_at is None and order.pickup_code_failures == 0
    assert order.history.last().note == "Pickup unlocked: customer showed ID"
    assert order.history.last().actor == manager

    client.force_login(associate)
    handed = client.post(url, {"code": order.pickup_code}, **HTMX)
    assert 'data-testid="collected"' in handed.content.decode()


def test_another_shops_manager_cannot_unlock(client, order, shop, settings):
    settings.OMNISTORE_PICKUP_CODE_MAX_FAILURES = 1
    client.force_login(StaffFactory(store=shop, username="desk"))
    url = reverse("staff:pickup_collect", args=[order.number])
    client.post(url, {"code": "WRONGONE"}, **HTMX)
    client.force_login(
        StaffFactory(store=LocationFactory(), role=Role.STORE_MANAGER, username="far")
    )
    unlock = reverse("staff:pickup_unlock", args=[order.number])
    assert client.post(unlock, {"note": "x"}).status_code == 404
    assert client.get(unlock).status_code == 405
    assert Order.objects.get(pk=order.pk).pickup_locked_at is not None
