"""The approval state machine through its services: each guarded kind asks, a
manager decides, the move uses the approval once; refusals, expiry, amounts, the
shop scoping and the manager's own moves; the PIN, its count and its lock."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.services.erasure import erase_customer
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from omnistore.approvals.models import (
    Approval,
    ApprovalChannel,
    ApprovalKind,
    ApprovalPin,
    ApprovalStatus,
)
from omnistore.approvals.policy import approval_needed
from omnistore.approvals.selectors.approvals import pin_approvers
from omnistore.approvals.services.approvals import (
    ApprovalRequired,
    approve_with_pin,
    cancel_approval,
    decide_approval,
    expire_approvals,
)
from omnistore.approvals.services.pins import (
    PinLocked,
    WrongPin,
    set_pin,
    unlock_pin,
    verify_pin,
)
from omnistore.approvals.tasks import expire_stale_approvals
from omnistore.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from orders.models import OrderStatus, Return, ReturnStatus
from orders.services.pickups import collect_order
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import approved, ask, make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import ready_order, shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = pytest.mark.django_db
D = Decimal


def big_sale(store, associate, price="200.00"):
    return counter_sale(
        store=store, lines=[(stocked(store, 3, price=price), 1)], staff=associate
    )


def refund(order, store, actor, **kwargs):
    return return_at_counter(
        order=order.number,
        lines=[line_request(order)],
        location=store,
        actor=actor,
        **kwargs,
    )


def test_a_refund_above_the_limit_waits_for_a_manager_then_goes_through_once(
    store, associate, manager
):
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    assert not Return.objects.exists()
    assert asked.value.ask.amount == D("200.00")
    request = ask(asked.value, associate)
    assert (request.kind, request.status) == (ApprovalKind.REFUND, "pending")
    assert request.summary == (
        f"Refund 200.00 EUR on order {order.number}, to the payments"
    )

    with pytest.raises(Conflict):  # still waiting: the move is refused
        refund(order, store, associate, approvals=[request.pk])
    decide_approval(approval=request, approver=manager, approve=True)
    ret = refund(order, store, associate, approvals=[request.pk])
    assert ret.status == ReturnStatus.REFUNDED
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.requested_by) == (
        ApprovalStatus.USED,
        manager,
        associate,
    )
    assert request.used_at is not None and request.amount == D("200.00")


def test_an_approval_is_used_once_and_only_for_its_own_move(store, associate, manager):
    first, second = big_sale(store, associate), big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(first, store, associate)
    yes = approved(asked.value, associate, manager)
    with pytest.raises(ApprovalRequired):  # another order: not this approval's move
        refund(second, store, associate, approvals=[yes.pk])
    refund(first, store, associate, approvals=[yes.pk])
    again = big_sale(store, associate)
    with pytest.raises(ApprovalRequired):
        refund(again, store, associate, approvals=[yes.pk])
    someone = StaffFactory(store=store)
    with pytest.raises(ApprovalRequired):  # another associate cannot borrow it
        refund(second, store, someone, approvals=[yes.pk])


def test_below_the_limit_no_one_is_asked(store, associate):
    order = big_sale(store, associate, price="150.00")
    assert refund(order, store, associate).status == ReturnStatus.REFUNDED
    assert not Approval.objects.exists()


def test_the_limit_is_a_setting_and_empty_turns_it_off(store, associate, settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None
    order = big_sale(store, associate, price="900.00")
    assert refund(order, store, associate).status == ReturnStatus.REFUNDED
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = D("50")
    assert approval_needed(ApprovalKind.REFUND, amount=D("50.01"))
    assert not approval_needed(ApprovalKind.REFUND, amount=D("50.00"))


def test_a_managers_own_refund_is_recorded_as_approved_by_them(store, manager):
    order = big_sale(store, manager)
    refund(order, store, manager)
    record = Approval.objects.get()
    assert (record.status, record.channel, record.decided_by) == (
        ApprovalStatus.USED,
        ApprovalChannel.SELF,
        manager,
    )


def test_a_smaller_approval_does_not_cover_a_larger_refund(store, associate, manager):
    order = counter_sale(
        store=store,
        lines=[(stocked(store, 3, price="200.00"), 2)],
        staff=associate,
    )
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    yes = approved(asked.value, associate, manager)
    with pytest.raises(ApprovalRequired):
        return_at_counter(
            order=order.number,
            lines=[line_request(order, 2)],
            location=store,
            actor=associate,
            approvals=[yes.pk],
        )


def test_a_refused_or_expired_request_refuses_the_move(store, associate, manager):
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    no = decide_approval(
        approval=ask(asked.value, associate),
        approver=manager,
        approve=False,
        note="Not without the receipt",
    )
    assert (no.status, no.decision_note) == (
        ApprovalStatus.REFUSED,
        "Not without the receipt",
    )
    with pytest.raises(Conflict, match="refused"):
        refund(order, store, associate, approvals=[no.pk])
    with pytest.raises(Conflict):  # decided once
        decide_approval(approval=no, approver=manager, approve=True)

    later = ask(asked.value, associate)
    assert later.pk != no.pk
    assert expire_approvals(now=later.expires_at + timedelta(seconds=1)) == 1
    later.refresh_from_db()
    assert later.status == ApprovalStatus.EXPIRED
    with pytest.raises(Conflict):
        decide_approval(approval=later, approver=manager, approve=True)


def test_asking_twice_finds_the_same_request_and_cancel_ends_it(store, associate):
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    first = ask(asked.value, associate)
    assert ask(asked.value, associate).pk == first.pk
    cancelled = cancel_approval(approval=first, actor=associate)
    assert cancelled.status == ApprovalStatus.WITHDRAWN


def test_asking_again_once_approved_finds_the_yes_not_a_second_request(
    store, associate, manager
):
    """The door records the request after the move was refused: a yes given in
    between is found, so the screen carries on with it."""
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    yes = approved(asked.value, associate, manager)
    again = ask(asked.value, associate)
    assert (again.pk, again.status) == (yes.pk, ApprovalStatus.APPROVED)


def test_a_withdrawn_yes_is_kept_and_never_used(store, associate, manager):
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    yes = approved(asked.value, associate, manager)
    withdrawn = cancel_approval(approval=yes, actor=associate)
    assert withdrawn.status == ApprovalStatus.WITHDRAWN and withdrawn.withdrawn_at
    assert (withdrawn.decided_by, withdrawn.decided_at) == (manager, yes.decided_at)
    with pytest.raises(ApprovalRequired):
        refund(order, store, associate)
    with pytest.raises(Conflict):
        refund(order, store, associate, approvals=[yes.pk])
    assert not Return.objects.exists()
    assert cancel_approval(approval=yes, actor=associate).status == (
        ApprovalStatus.WITHDRAWN
    )


def test_only_a_manager_of_the_shop_or_hq_decides(store, associate, manager):
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    request = ask(asked.value, associate)
    other_shop = make_approver(
        StaffFactory(store=shop(code="TO01"), role=Role.STORE_MANAGER)
    )
    no_group = StaffFactory(store=store, role=Role.STORE_MANAGER)
    no_group.groups.clear()  # the manager group (and its approval right) taken away
    for outsider in (associate, other_shop, no_group):
        with pytest.raises(PermissionDenied):
            decide_approval(approval=request, approver=outsider, approve=True)
    hq = make_approver(UserFactory(role=Role.HQ), "Headquarters")
    assert decide_approval(approval=request, approver=hq, approve=True).status == (
        ApprovalStatus.APPROVED
    )


def test_a_return_without_a_receipt_asks_and_keeps_why(store, associate, manager):
    order = counter_sale(
        store=store, lines=[(stocked(store, 3, price="20.00"), 1)], staff=associate
    )
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate, without_receipt=True, note="Gift, no slip")
    assert asked.value.ask.kind == ApprovalKind.RETURN_WITHOUT_RECEIPT
    yes = approved(asked.value, associate, manager)
    assert yes.reason == "Without a receipt. Gift, no slip"
    ret = refund(
        order,
        store,
        associate,
        without_receipt=True,
        note="Gift, no slip",
        approvals=[yes.pk],
    )
    assert ret.note.startswith("Without a receipt.")


def test_a_pickup_by_identity_asks_a_manager(store, associate, manager):
    order = ready_order(store=store, lines=[(stocked(store, 3), 1)])
    with pytest.raises(ApprovalRequired) as asked:
        collect_order(
            order=order,
            actor=associate,
            identity_checked=True,
            note="ID AX1",
            location=store,
        )
    yes = approved(asked.value, associate, manager)
    done = collect_order(
        order=order,
        actor=associate,
        identity_checked=True,
        note="ID AX1",
        location=store,
        approvals=[yes.pk],
    )
    assert done.status == OrderStatus.COLLECTED


def test_the_gift_card_void_hook_reads_its_setting(settings):
    assert approval_needed(ApprovalKind.GIFT_CARD_VOID)
    settings.OMNISTORE_APPROVAL_GIFT_CARD_VOID = False
    assert not approval_needed(ApprovalKind.GIFT_CARD_VOID)


# --- PINs ---------------------------------------------------------------------------


def test_a_pin_is_stored_hashed_and_only_managers_have_one(associate, manager):
    pin = ApprovalPin.objects.get(user=manager)
    assert "2468" not in pin.pin_hash and pin.pin_hash
    with pytest.raises(PermissionDenied):
        set_pin(user=associate, pin="1357")
    for bad in ("12", "12a4", "123456789", "1111"):
        with pytest.raises(ValidationFailed):
            set_pin(user=manager, pin=bad)


def test_five_wrong_pins_lock_it_even_against_the_right_one(
    store, associate, manager, settings
):
    settings.OMNISTORE_APPROVAL_EXPIRY_MINUTES = 30  # outlives the 15-minute lock
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    request = ask(asked.value, associate)
    now = timezone.now()
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPin, match=f"{left} tr"):
            approve_with_pin(
                approval=request, manager=manager, pin="0000", actor=associate, now=now
            )
    with pytest.raises(PinLocked, match="locked until"):
        approve_with_pin(
            approval=request, manager=manager, pin="0000", actor=associate, now=now
        )
    with pytest.raises(PinLocked):
        approve_with_pin(
            approval=request, manager=manager, pin="2468", actor=associate, now=now
        )
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING

    after = now + timedelta(minutes=16)
    approve_with_pin(
        approval=request, manager=manager, pin="2468", actor=associate, now=after
    )
    request.refresh_from_db()
    assert (request.status, request.channel) == ("approved", ApprovalChannel.PIN)


def test_the_right_pin_resets_the_count_and_hq_can_lift_a_lock(
    store, associate, manager
):
    now = timezone.now()
    for _ in range(5):
        with pytest.raises((WrongPin, PinLocked)):
            verify_pin(user=manager, pin="9999", actor=associate, now=now)
    pin = ApprovalPin.objects.get(user=manager)
    assert pin.locked_until > now
    unlock_pin(pin=pin)
    verify_pin(user=manager, pin="2468", actor=associate, now=now)
    assert ApprovalPin.objects.get(user=manager).failures == 0


def test_the_periodic_task_expires_what_waited_too_long(store, associate):
    order = big_sale(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        refund(order, store, associate)
    request = ask(asked.value, associate)
    assert expire_stale_approvals() == 0
    Approval.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert expire_stale_approvals() == 1
    request.refresh_from_db()
    assert request.status == ApprovalStatus.EXPIRED and request.decided_at
    assert expire_stale_approvals() == 0


def test_erasing_the_customer_blanks_what_staff_wrote_about_them(
    store, associate, manager
):
    order = ready_order(store=store, lines=[(stocked(store, 3), 1)])
    with pytest.raises(ApprovalRequired) as asked:
        collect_order(
            order=order,
            actor=associate,
            identity_checked=True,
            note="ID card AX123",
            location=store,
        )
    request = approved(asked.value, associate, manager)
    assert "AX123" in request.reason
    collect_order(  # handed over: nothing left open for the person
        order=order,
        actor=associate,
        identity_checked=True,
        note="ID card AX123",
        location=store,
        approvals=[request.pk],
    )
    erase_customer(customer=order.customer)
    request.refresh_from_db()
    assert "AX123" not in request.reason
    assert (request.kind, request.decided_by) == (
        ApprovalKind.PICKUP_BY_IDENTITY,
        manager,
    )


def test_an_area_manager_is_offered_at_each_of_their_shops_and_only_there(store):
    """The tablet's PIN pad lists the managers of this shop: an area manager's home
    shop is elsewhere, but the shops they look after include this one."""
    elsewhere, unrelated = shop(code="TO02"), shop(code="GE01")
    area = UserFactory(first_name="Aldo")
    assign_role(user=area, role=Role.AREA_MANAGER, shops=[elsewhere, store])
    make_approver(area, "Area manager", pin="8642")

    assert area in pin_approvers(store)
    assert area in pin_approvers(elsewhere)
    assert area not in pin_approvers(unrelated)
