"""A return without a receipt waits for a manager's yes to the note the associate
wrote, all of it: the manager reads the whole note (the form takes 500 characters),
and a yes covers every word of it, so the same return sent again with only the end
of a long note changed asks again, and the note approved goes through."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.staff.once import new_token
from orders.models import Return
from tests.approvals.helpers import make_approver
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
HEAD = "Customer lost the slip; paid by card, card shown and checked. " * 4
NOTE = HEAD + "Item unworn, tags on, bought on Saturday at the till by the door."
CHANGED = HEAD + "Item worn twice, no tags, so we take it back only as a favour."


@pytest.fixture
def torino():
    return LocationFactory(code="TO09", name="Torino Porta Susa")


@pytest.fixture
def associate(torino):
    return StaffFactory(store=torino)


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def manager_device(torino):
    manager = make_approver(StaffFactory(store=torino, role=Role.STORE_MANAGER))
    device = Client()
    device.force_login(manager)
    return device


@pytest.fixture
def order(torino, associate):
    item = stocked(torino, 5, price="30.00", sku="TEE-BLK-L")
    return counter_sale(store=torino, lines=[(item, 1)], staff=associate)


def send_return(desk, order, note: str, **extra):
    line = order.lines.get()
    form = {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "refund_method": "original",
        "action": "receive",
        "without_receipt": "on",
        "note": note,
        **extra,
    }
    return desk.post(reverse("staff:return_start", args=[order.number]), form)


def test_a_yes_to_a_long_note_does_not_cover_its_end_rewritten(
    desk, manager_device, order
):
    assert len(NOTE) > 250 and NOTE[:250] == CHANGED[:250]  # only the end differs
    asked = send_return(desk, order, NOTE)
    assert asked.status_code == 202
    yes = Approval.objects.get()
    assert (yes.kind, yes.amount) == (
        ApprovalKind.RETURN_WITHOUT_RECEIPT,
        Decimal("30.00"),
    )
    assert yes.reason == f"Without a receipt. {NOTE}"  # what the manager reads
    manager_device.post(
        reverse("staff:approval_decide", args=[yes.pk]),
        {"decision": "approve"},
        **HTMX,
    )

    rewritten = send_return(desk, order, CHANGED, approval=yes.pk)

    assert rewritten.status_code == 202
    assert "A manager must approve" in rewritten.content.decode()
    assert not Return.objects.exists()
    yes.refresh_from_db()
    assert (yes.status, yes.used_at) == (ApprovalStatus.APPROVED, None)
    asked_again = Approval.objects.exclude(pk=yes.pk).get()
    assert asked_again.reason == f"Without a receipt. {CHANGED}"

    accepted = send_return(desk, order, NOTE, approval=yes.pk)

    assert accepted.status_code == 302
    assert Return.objects.get().note == f"Without a receipt. {NOTE}"
    yes.refresh_from_db()
    assert yes.status == ApprovalStatus.USED
