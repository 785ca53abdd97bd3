"""Headquarters voiding or adjusting a gift card in the admin (at no one shop) make
their own move, recorded as approved by them: an approval of no shop, named by the
card's ledger row and listed in the admin's Approvals."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import (
    Approval,
    ApprovalChannel,
    ApprovalKind,
    ApprovalStatus,
)
from orders.models import GiftCardStatus, GiftCardTransaction
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop
from tests.orders.stored_value_helpers import gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CARDS = reverse("admin:orders_giftcard_changelist")
APPROVALS = reverse("admin:approvals_approval_changelist")


@pytest.fixture
def hq():
    return UserFactory(
        username="hq", role=Role.HQ, is_staff=True, first_name="Hana", last_name="Q"
    )


def _act(client, card, action, **data):
    return client.post(
        CARDS,
        {"action": action, "_selected_action": [card.pk], **data},
        follow=True,
    )


def test_headquarters_voiding_a_card_record_their_own_approval(client, hq):
    card = gift_card("35.00")
    client.force_login(hq)

    page = _act(client, card, "void_cards", reason="Reported stolen", confirm="yes")

    assert "1 gift card(s) changed." in page.content.decode()
    card.refresh_from_db()
    assert card.status == GiftCardStatus.VOID
    own = Approval.objects.get()
    assert (own.kind, own.status, own.channel) == (
        ApprovalKind.GIFT_CARD_VOID,
        ApprovalStatus.USED,
        ApprovalChannel.SELF,
    )
    assert (own.requested_by, own.decided_by, own.location) == (hq, hq, None)
    assert (own.amount, own.currency, own.reason) == (
        Decimal("35.00"),
        "EUR",
        "Reported stolen",
    )
    assert own.decided_at is not None and own.used_at is not None
    void = GiftCardTransaction.objects.get(card=card, kind="void")
    assert void.approval_id == own.pk

    listed = client.get(APPROVALS).content.decode()
    assert f"/admin/approvals/approval/{own.pk}/change/" in listed


def test_headquarters_adjusting_a_card_record_their_own_approval(client, hq):
    card = gift_card("20.00")
    client.force_login(hq)

    _act(client, card, "adjust_cards", amount="-5", reason="Counted twice")

    own = Approval.objects.get()
    assert (own.kind, own.status, own.decided_by, own.location) == (
        ApprovalKind.GIFT_CARD_VOID,
        ApprovalStatus.USED,
        hq,
        None,
    )
    assert (own.amount, own.reason) == (Decimal("5.00"), "Counted twice")
    adjusted = GiftCardTransaction.objects.get(card=card, kind="adjust")
    assert (adjusted.amount, adjusted.approval_id) == (Decimal("-5.00"), own.pk)


def test_an_approval_of_no_shop_opens_for_hq_and_stays_off_a_shops_queue(client, hq):
    card = gift_card("10.00")
    client.force_login(hq)
    _act(client, card, "void_cards", reason="Sold by mistake", confirm="yes")
    own = Approval.objects.get()
    opened = client.get(reverse("admin:approvals_approval_change", args=[own.pk]))
    assert opened.status_code == 200
    assert "Sold by mistake" in opened.content.decode()
    manager = make_approver(
        StaffFactory(role=Role.STORE_MANAGER, store=shop(code="MI01"))
    )
    client.force_login(manager)

    queue = client.get(reverse("staff:approval_queue"))

    assert queue.status_code == 200
    page = queue.content.decode()
    assert own.summary not in page
    assert 'data-testid="decided"' not in page  # "Decided lately": nothing yet


def test_hqs_staff_queue_lists_its_own_move_of_no_shop_among_the_decided(client, hq):
    shop(code="MI01")  # the staff pages act for a shop
    card = gift_card("10.00")
    client.force_login(hq)
    _act(client, card, "void_cards", reason="Sold by mistake", confirm="yes")
    own = Approval.objects.get()

    queue = client.get(reverse("staff:approval_queue"))

    assert queue.status_code == 200
    page = queue.content.decode()
    assert 'data-testid="decided"' in page
    assert own.summary in page
    assert "No one shop" in page
