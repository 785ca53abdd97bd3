"""A yes not used in time ends expired, and keeps when the manager gave it; the
asking screen polling it says it expired, as the move would find it, and does not
go on with it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnistore.approvals.models import Approval, ApprovalStatus
from omnistore.approvals.services.approvals import (
    ApprovalRequired,
    cancel_approval,
    decide_approval,
    expire_approvals,
)
from omnistore.core.exceptions import Conflict
from omnistore.staff.once import new_token
from orders.models import Return
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import ask
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def big_sale(store, associate):
    return counter_sale(
        store=store, lines=[(stocked(store, 3, price="200.00"), 1)], staff=associate
    )


def refund(order, store, actor, **kwargs):
    return return_at_counter(
        order=order.number,
        lines=[line_request(order)],
        location=store,
        actor=actor,
        **kwargs,
    )


def approved_at(store, associate, manager, when):
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    request = ask(asked.value, associate)
    decide_approval(approval=request, approver=manager, approve=True, now=when)
    return order, request


def test_the_periodic_expiry_keeps_when_the_manager_said_yes(store, associate, manager):
    said_yes = timezone.now()
    _, yes = approved_at(store, associate, manager, said_yes)

    assert expire_approvals(now=yes.expires_at + timedelta(minutes=30)) == 1

    yes.refresh_from_db()
    assert (yes.status, yes.decided_by, yes.decided_at) == (
        ApprovalStatus.EXPIRED,
        manager,
        said_yes,
    )


def test_a_yes_past_its_time_is_refused_and_ends_expired_keeping_when_it_was_given(
    store, associate, manager
):
    said_yes = timezone.now() - timedelta(minutes=20)
    order, yes = approved_at(store, associate, manager, said_yes)
    Approval.objects.filter(pk=yes.pk).update(
        expires_at=said_yes + timedelta(minutes=1)
    )

    with pytest.raises(Conflict, match="expired"):
        refund(order, store, associate, approvals=[yes.pk])
    assert not Return.objects.exists()
    # Withdrawn now, it ends expired (its time has passed), the yes's time kept.
    ended = cancel_approval(approval=yes, actor=associate)

    assert (ended.status, ended.decided_by, ended.decided_at) == (
        ApprovalStatus.EXPIRED,
        manager,
        said_yes,
    )


def test_the_asking_screen_polling_a_yes_past_its_time_says_it_expired(
    client, store, associate, manager
):
    client.force_login(associate)
    order = big_sale(store, associate)
    line = order.lines.get()
    form = {
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "refund_method": "original",
        "action": "refund",
        "once": new_token(),
    }
    start = reverse("staff:return_start", args=[order.number])
    assert client.post(start, form, **HTMX).status_code == 202
    request = Approval.objects.get()
    manager_device = Client()
    manager_device.force_login(manager)
    decide = reverse("staff:approval_decide", args=[request.pk])
    manager_device.post(decide, {"decision": "approve"}, **HTMX)
    Approval.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    polled = client.get(reverse("staff:approval_status", args=[request.pk]), **HTMX)

    page = polled.content.decode()
    assert "HX-Trigger" not in polled
    assert 'data-status="expired"' in page
    assert "The request expired; nothing was changed" in page
    assert "finishing" not in page
