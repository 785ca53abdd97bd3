"""A return started online is good until its order's window closes or
``OMNISTORE_RETURN_BRING_DAYS`` after it was started, whichever is later. Brought in
after that, it is a return outside the window: a reason and a manager's approval, as
at the counter."""

import pytest
from django.urls import reverse

from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.dates import end_of_day_after
from omnistore.core.exceptions import ReturnNotAllowed
from orders.models import Refund, Return, ReturnStatus
from orders.selectors.returns import return_brought_by
from orders.services.refunds import (
    receive_and_refund_return,
    receive_return,
)
from orders.services.returns import ReturnLineRequest, request_return
from tests.approvals.helpers import approved, make_approver
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import collected_order, days_ago, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.OMNISTORE_RETURN_WINDOW_DAYS = 30
    settings.OMNISTORE_RETURN_BRING_DAYS = 14


@pytest.fixture
def store():
    return shop(name="Milano Porta Nuova")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


def started_online(store, *, collected: int, started: int) -> Return:
    """A return started on the website ``started`` days ago, of an order collected
    ``collected`` days ago."""
    _, customer = shopper()
    order = collected_order(
        store=store,
        lines=[(stocked(store, 3, price="59.90"), 1)],
        customer=customer,
        when=days_ago(collected),
    )
    return request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "changed_mind")],
        now=days_ago(started),
    )


def test_started_on_the_last_day_it_is_still_good_for_the_days_to_bring_it(
    store, associate
):
    ret = started_online(store, collected=39, started=10)  # window closed 9 days ago
    assert return_brought_by(ret) == end_of_day_after(ret.created_at, 14)

    ret = receive_return(return_request=ret, location=store, actor=associate)

    assert ret.status == ReturnStatus.RECEIVED
    assert ret.override_reason == ""


def test_brought_in_months_later_the_desk_is_refused_until_a_reason_is_given(
    client, store, associate
):
    ret = started_online(store, collected=150, started=121)
    client.force_login(associate)
    line = ret.lines.get()

    response = client.post(
        reverse("staff:return_receive", args=[ret.code]),
        {
            f"condition_{line.pk}": "sellable",
            "refund_method": "original",
            "action": "refund",
        },
    )

    assert response.status_code == 422
    said = response.content.decode()
    assert 'data-testid="brought-late"' in said
    assert "Say why it is accepted after its day to bring it." in said
    assert 'name="override_reason"' in said
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REQUESTED
    assert not Refund.objects.exists()


def test_the_desk_receives_it_late_with_a_reason_and_a_managers_approval(
    client, store, associate
):
    ret = started_online(store, collected=150, started=121)
    client.force_login(associate)
    line = ret.lines.get()
    page = client.get(reverse("staff:return_detail", args=[ret.code]))
    assert 'name="override_reason"' in page.content.decode()
    form = {
        f"condition_{line.pk}": "sellable",
        "refund_method": "original",
        "action": "refund",
        "override_reason": "Customer was abroad, tags still on",
    }
    url = reverse("staff:return_receive", args=[ret.code])

    asked = client.post(url, form)
    assert "approval" in asked.content.decode().lower()
    assert not Refund.objects.exists()
    manager = make_approver(StaffFactory(store=store, role="store_manager"))
    with pytest.raises(ApprovalRequired) as needed:
        receive_and_refund_return(
            return_request=ret,
            location=store,
            actor=associate,
            override_reason=form["override_reason"],
        )
    approval = approved(needed.value, associate, manager)
    done = client.post(url, {**form, "approval": approval.pk})

    assert done.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED
    assert ret.override_reason == "Customer was abroad, tags still on"
    assert Refund.objects.count() == 1


def test_brought_in_late_it_needs_a_reason_and_a_manager_both_kept(store, associate):
    ret = started_online(store, collected=150, started=121)

    with pytest.raises(ReturnNotAllowed) as refused:
        receive_and_refund_return(return_request=ret, location=store, actor=associate)
    assert refused.value.extra["override_reason"] == [
        "Required outside the return window."
    ]
    reason = "Customer was abroad, tags still on"
    with pytest.raises(ApprovalRequired) as asked:
        receive_and_refund_return(
            return_request=ret, location=store, actor=associate, override_reason=reason
        )
    assert not Refund.objects.exists()
    manager = make_approver(StaffFactory(store=store, role="store_manager"))
    yes = approved(asked.value, associate, manager)

    ret = receive_and_refund_return(
        return_request=ret,
        location=store,
        actor=associate,
        override_reason=reason,
        approvals=[yes.pk],
    )

    assert ret.status == ReturnStatus.REFUNDED
    assert ret.override_reason == reason
    received = ret.history.get(to_status=ReturnStatus.RECEIVED)
    assert received.note == (
        f"Received outside the return window: {reason}"
        f" · approved by {manager.display_name}"
    )


def test_the_days_to_bring_it_are_a_setting(settings, store, associate):
    settings.OMNISTORE_RETURN_BRING_DAYS = 30
    ret = started_online(store, collected=50, started=25)

    ret = receive_return(return_request=ret, location=store, actor=associate)

    assert ret.status == ReturnStatus.RECEIVED
