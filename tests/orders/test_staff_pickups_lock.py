"""The pickup desk after too many wrong codes: the order says it is locked, in the
desk's list too; a store manager unlocks it (and says why), an associate with a
manager's approval, their PIN on the tablet or a yes from their queue."""

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import (
    Approval,
    ApprovalChannel,
    ApprovalKind,
    ApprovalStatus,
)
from orders.models import Order, OrderStatus
from tests.approvals.helpers import make_approver
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
    assert "Ask a manager to unlock" in page  # an associate asks
    assert 'data-testid="hand-over"' not in page
    right = client.post(url, {"code": order.pickup_code}, **HTMX)
    assert right.status_code == 422
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY

    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER, username="boss")
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert 'data-testid="unlock-form"' in page and "Ask a manager" not in page
    unlock = reverse("staff:pickup_unlock", args=[order.number])
    assert client.post(unlock, {"note": ""}, **HTMX).status_code == 422
    done = client.post(unlock, {"note": "customer showed ID"})
    assert done.status_code == 302 and done["Location"] == url
    order = Order.objects.get(pk=order.pk)
    assert order.pickup_locked_at is None and order.pickup_code_failures == 0
    assert order.history.last().note == "Pickup unlocked: customer showed ID"
    assert order.history.last().actor == manager
    own = Approval.objects.get(kind=ApprovalKind.PICKUP_UNLOCK)  # recorded as theirs
    assert (own.status, own.channel, own.decided_by, own.reason) == (
        ApprovalStatus.USED,
        ApprovalChannel.SELF,
        manager,
        "customer showed ID",
    )

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


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, username="desk")


@pytest.fixture
def manager(shop):
    return make_approver(
        StaffFactory(
            store=shop,
            role=Role.STORE_MANAGER,
            username="marco",
            first_name="Marco",
            last_name="Rossi",
        ),
        pin="2468",
    )


def locked(client, order):
    """Wrong codes at the desk until the order locks (the limit is 3 here)."""
    url = reverse("staff:pickup_collect", args=[order.number])
    for _ in range(3):
        client.post(url, {"code": "WRONGONE"}, **HTMX)
    assert Order.objects.get(pk=order.pk).pickup_locked_at is not None
    return url


def ask_unlock(client, order, **extra):
    unlock = reverse("staff:pickup_unlock", args=[order.number])
    return client.post(unlock, {"note": "Typo in the code, ID seen", **extra}, **HTMX)


def test_an_associate_unlocks_with_a_managers_pin_and_the_code_then_works(
    client, order, associate, manager
):
    client.force_login(associate)
    url = locked(client, order)

    waiting = ask_unlock(client, order)

    assert waiting.status_code == 202
    page = waiting.content.decode()
    assert 'id="collect"' in page and 'data-testid="approval-ask"' in page
    assert f"Unlock the pickup of order {order.number}, locked after 3 wrong" in page
    assert f'<option value="{manager.pk}">Marco Rossi (marco)</option>' in page
    assert Order.objects.get(pk=order.pk).pickup_locked_at is not None
    request = Approval.objects.get(kind=ApprovalKind.PICKUP_UNLOCK)
    assert request.reason == "Typo in the code, ID seen"
    pin = reverse("staff:approval_pin", args=[request.pk])
    granted = client.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    assert granted["HX-Trigger"] == "approval-granted"

    unlocked = ask_unlock(client, order, approval=request.pk)

    assert unlocked.status_code == 200
    assert 'data-testid="hand-over"' in unlocked.content.decode()
    assert f"Order {order.number} unlocked" in unlocked.content.decode()
    order = Order.objects.get(pk=order.pk)
    assert order.pickup_locked_at is None and order.pickup_code_failures == 0
    *_, lock, change = order.history.order_by("at", "pk")
    assert (change.actor, change.note) == (
        associate,
        "Pickup unlocked: Typo in the code, ID seen · approved by Marco Rossi",
    )
    # Both kept with the shop whose desk they happened at.
    assert lock.note.startswith("Pickup locked after")
    assert lock.location == change.location == associate.store
    request.refresh_from_db()
    assert (request.status, request.channel, request.decided_by) == (
        ApprovalStatus.USED,
        ApprovalChannel.PIN,
        manager,
    )
    handed = client.post(url, {"code": order.pickup_code}, **HTMX)
    assert 'data-testid="collected"' in handed.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COLLECTED


def test_an_associates_unlock_waits_in_the_managers_queue(
    client, order, associate, manager
):
    client.force_login(associate)
    url = locked(client, order)
    ask_unlock(client, order)
    request = Approval.objects.get(kind=ApprovalKind.PICKUP_UNLOCK)
    status = reverse("staff:approval_status", args=[request.pk])
    assert "HX-Trigger" not in client.get(status, **HTMX)

    device = Client()
    device.force_login(manager)
    queue = device.get(reverse("staff:approval_queue")).content.decode()
    assert f'data-approval="{request.pk}"' in queue
    assert f"Unlock the pickup of order {order.number}" in queue
    decide = reverse("staff:approval_decide", args=[request.pk])
    assert device.post(decide, {"decision": "approve"}, **HTMX).status_code == 200

    assert client.get(status, **HTMX)["HX-Trigger"] == "approval-granted"
    assert ask_unlock(client, order, approval=request.pk).status_code == 200
    order = Order.objects.get(pk=order.pk)
    assert order.pickup_locked_at is None
    assert order.history.last().note.endswith(" · approved by Marco Rossi")
    handed = client.post(url, {"code": order.pickup_code}, **HTMX)
    assert 'data-testid="collected"' in handed.content.decode()


def test_the_desk_list_marks_a_locked_order(client, order, shop, associate):
    other = VariantFactory()
    stock(other, shop, 5)
    waiting = ready_order(store=shop, lines=[(other, 1)])
    client.force_login(associate)
    locked(client, order)

    page = client.get(reverse("staff:pickup_desk")).content.decode()

    rows = {
        number: page.split(f'data-number="{number}"')[1].split("</tr>")[0]
        for number in (order.number, waiting.number)
    }
    assert 'data-testid="pickup-locked-badge"' in rows[order.number]
    assert (
        ">Locked</span>" in rows[order.number] and ">Unlock</a>" in rows[order.number]
    )
    assert "Locked" not in rows[waiting.number]
    assert ">Hand over</a>" in rows[waiting.number]
