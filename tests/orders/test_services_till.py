"""The till through its services: a day at the counter from the float to the Z
report, the session rules (one open per register, cash out bounded by the drawer),
the close over/short and its manager's approval, and two devices closing at once."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from inventory.models import StockLevel
from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.approvals.services.approvals import ApprovalRequired, decide_approval
from omnistore.core.exceptions import (
    Conflict,
    PermissionDenied,
    ValidationFailed,
)
from orders.models import (
    Order,
    PaymentMethod,
    Register,
    TillMovement,
    TillMovementKind,
    TillSession,
    TillSessionStatus,
)
from orders.selectors.till import counted_total, expected_cash, z_report
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.till import (
    TillBooking,
    book_counter_sale,
    change_due,
    close_till,
    move_cash,
    open_till,
    require_open_till,
)
from tests.approvals.helpers import ask, make_approver
from tests.concurrency import run_parallel
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request

D = Decimal
FLOAT = {D("50"): 2, D("10"): 5}  # 150.00


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(store=store, role=Role.STORE_MANAGER, username="marta")
    )


@pytest.fixture
def register(store):
    return Register.objects.create(location=store, name="Till 1")


def cash_sale(store, associate, session, item, tendered):
    """A cash sale at the counter, booked on the till in its own transaction."""
    return counter_sale(
        store=store,
        lines=[(item, 1)],
        staff=associate,
        tenders=[(PaymentMethod.CASH, None)],
        till=TillBooking(session, D(tendered)),
    )


@pytest.mark.django_db
def test_a_till_day_from_float_to_z_report(store, associate, manager, register):
    """Open with a float, three cash sales with change, a cash refund, a cash out,
    a close 10.00 short (beyond the tolerance: a manager approves), and a Z report
    whose totals are those of the session's orders."""
    session = open_till(register=register, counts=FLOAT, actor=associate)
    assert session.opening_float == D("150.00")

    shirt = stocked(store, 5, price="69.00")
    belt = stocked(store, 5, price="15.50")
    socks = stocked(store, 5, price="24.90")
    orders = [
        cash_sale(store, associate, session, shirt, "100"),
        cash_sale(store, associate, session, belt, "20"),
        cash_sale(store, associate, session, socks, "25"),
    ]
    changes = [
        m.change
        for m in TillMovement.objects.filter(kind=TillMovementKind.SALE).order_by("id")
    ]
    assert changes == [D("31.00"), D("4.50"), D("0.10")]

    ret = return_at_counter(
        order=orders[1].number,
        lines=[line_request(orders[1], 1)],
        location=store,
        actor=associate,
    )
    assert ret.refund_total == D("15.50")
    move_cash(
        session=session,
        kind=TillMovementKind.CASH_OUT,
        amount=D("50.00"),
        reason="Bank deposit",
        actor=associate,
    )
    # 150 + (69 + 15.50 + 24.90) - 15.50 - 50
    assert expected_cash(session) == D("193.90")

    counted = {D("100"): 1, D("50"): 1, D("20"): 1, D("10"): 1, D("1"): 3,
               D("0.50"): 1, D("0.20"): 2}  # fmt: skip
    assert counted_total(counted) == D("183.90")
    with pytest.raises(ApprovalRequired) as asked:
        close_till(
            session=session, counts=counted, actor=associate, note="Counted twice"
        )
    assert TillSession.objects.get(pk=session.pk).status == TillSessionStatus.OPEN
    request = ask(asked.value, associate)
    assert (request.kind, request.amount) == (ApprovalKind.TILL_OVER_SHORT, D("10.00"))
    with pytest.raises(PermissionDenied):
        decide_approval(approval=request, approver=associate, approve=True)
    decide_approval(approval=request, approver=manager, approve=True)
    approved = close_till(
        session=session,
        counts=counted,
        actor=associate,
        note="Counted twice",
        approvals=[request.pk],
    )
    assert (approved.expected_cash, approved.counted_cash) == (D("193.90"), D("183.90"))
    assert approved.over_short == D("-10.00")
    assert approved.status == TillSessionStatus.CLOSED
    assert approved.approved_by == manager and approved.approved_at is not None
    assert Approval.objects.get(pk=request.pk).status == ApprovalStatus.USED

    report = z_report(approved)
    session_orders = Order.objects.filter(pk__in=[o.pk for o in orders])
    assert report.orders == 3
    assert report.sales_total == sum(o.total for o in session_orders)
    assert report.sales_by_tender == [("Cash", D("109.40"))]
    assert report.refunds_by_tender == [("Cash", D("15.50"))]
    assert (report.first_receipt, report.last_receipt) == (
        orders[0].number,
        orders[-1].number,
    )
    assert report.discounts == D("0.00") and report.voids == []
    assert report.cash["cash_out"] == D("-50.00")
    assert report.expected == D("193.90")
    assert sum(v.gross for v in report.vat) == report.sales_total
    # The ledger sums to what was counted at the close.
    assert sum(m.amount for m in TillMovement.objects.filter(session=session)) == D(
        "183.90"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("refusal", ["closed", "too_little"])
def test_a_sale_the_till_refuses_leaves_no_order(store, associate, register, refusal):
    """The booking is part of the sale's transaction: a till closed meanwhile, or
    less cash tendered than is due, refuses the sale and nothing is written."""
    session = open_till(register=register, counts=FLOAT, actor=associate)
    if refusal == "closed":
        close_till(session=session, counts=FLOAT, actor=associate)
    item = stocked(store, 5, price="69.00")
    with pytest.raises(ValidationFailed) as refused:
        counter_sale(
            store=store,
            lines=[(item, 1)],
            staff=associate,
            tenders=[(PaymentMethod.CASH, None)],
            till=TillBooking(session, D("50") if refusal == "too_little" else None),
        )
    assert refused.value.code == (
        "till_not_open" if refusal == "closed" else "tendered_too_low"
    )
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=item, location=store).on_hand == 5
    assert not TillMovement.objects.filter(kind=TillMovementKind.SALE).exists()


@pytest.mark.django_db
def test_a_card_sale_on_a_till_closed_meanwhile_is_refused(store, associate, register):
    """A card-only sale takes no cash, yet belongs on a Z report: the counted
    session's report is final, so the sale is refused and nothing is written, as a
    cash sale is."""
    session = open_till(register=register, counts=FLOAT, actor=associate)
    close_till(session=session, counts=FLOAT, actor=associate)
    item = stocked(store, 5, price="69.00")
    with pytest.raises(ValidationFailed) as refused:
        counter_sale(
            store=store, lines=[(item, 1)], staff=associate, till=TillBooking(session)
        )
    assert refused.value.code == "till_not_open"
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=item, location=store).on_hand == 5
    assert not TillMovement.objects.filter(kind=TillMovementKind.SALE).exists()


@pytest.mark.django_db
def test_a_close_within_the_tolerance_is_closed_at_once(associate, register):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    closed = close_till(
        session=session, counts={D("50"): 2, D("10"): 4, D("5"): 1}, actor=associate
    )
    assert closed.status == TillSessionStatus.CLOSED
    assert closed.over_short == D("-5.00")
    adjustment = TillMovement.objects.get(kind=TillMovementKind.CLOSE_ADJUSTMENT)
    assert adjustment.amount == D("-5.00") and adjustment.actor == associate


@pytest.mark.django_db
def test_one_open_session_per_register(associate, register):
    open_till(register=register, counts=FLOAT, actor=associate)
    with pytest.raises(Conflict):
        open_till(register=register, counts=FLOAT, actor=associate)
    with pytest.raises(IntegrityError), transaction.atomic():
        TillSession.objects.create(
            register=register, currency="EUR", opening_float=0, opened_by=associate
        )
    assert TillSession.objects.count() == 1


@pytest.mark.django_db
def test_a_closed_till_opens_again_and_takes_no_more_cash(associate, register):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    close_till(session=session, counts=FLOAT, actor=associate)
    with pytest.raises(Conflict):
        close_till(session=session, counts=FLOAT, actor=associate)
    with pytest.raises(Conflict):
        move_cash(
            session=session,
            kind=TillMovementKind.CASH_IN,
            amount=D("5"),
            reason="x",
            actor=associate,
        )
    with pytest.raises(ValidationFailed):
        require_open_till(register)
    assert open_till(register=register, counts={}, actor=associate).opening_float == 0


@pytest.mark.django_db
def test_cash_out_cannot_take_more_than_the_drawer_holds(associate, register):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    with pytest.raises(ValidationFailed) as refused:
        move_cash(
            session=session,
            kind=TillMovementKind.CASH_OUT,
            amount=D("150.01"),
            reason="Deposit",
            actor=associate,
        )
    assert refused.value.extra == {"amount": ["At most 150.00."]}
    with pytest.raises(ValidationFailed):
        move_cash(
            session=session,
            kind=TillMovementKind.CASH_IN,
            amount=D("10"),
            reason="  ",
            actor=associate,
        )
    move_cash(
        session=session,
        kind=TillMovementKind.CASH_IN,
        amount=D("20"),
        reason="Change from the bank",
        actor=associate,
    )
    assert expected_cash(session) == D("170.00")


def test_change_due_is_decimal_and_refuses_too_little():
    assert change_due(tendered=D("100"), due=D("69")) == D("31.00")
    assert change_due(tendered=D("20.00"), due=D("19.99")) == D("0.01")
    with pytest.raises(ValidationFailed) as refused:
        change_due(tendered=D("50"), due=D("69"))
    assert refused.value.extra == {"tendered": ["At least 69.00 EUR."]}


@pytest.mark.django_db
def test_a_sale_is_booked_once_and_tendering_too_little_is_refused(
    store, associate, register
):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    item = stocked(store, 5, price="69.00")
    order = counter_sale(
        store=store, lines=[(item, 1)], staff=associate, tenders=[("cash", None)]
    )
    with pytest.raises(ValidationFailed):
        book_counter_sale(
            session=session, order=order, tendered=D("50"), actor=associate
        )
    first = book_counter_sale(
        session=session, order=order, tendered=D("100"), actor=associate
    )
    again = book_counter_sale(
        session=session, order=order, tendered=D("100"), actor=associate
    )
    assert first.pk == again.pk and first.change == D("31.00")
    assert TillMovement.objects.filter(kind=TillMovementKind.SALE).count() == 1


@pytest.mark.django_db
def test_the_z_report_splits_tenders_and_lists_voids_and_discounts(
    store, associate, register
):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    item = stocked(store, 5, price="40.00")
    split = counter_sale(
        store=store,
        lines=[(item, 1)],
        staff=associate,
        tenders=[("cash", "10.00"), ("card_in_store", "30.00")],
    )
    book_counter_sale(session=session, order=split, tendered=None, actor=associate)
    void = place_order(
        lines=[LineRequest(item, 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email="pia@example.com",
        payments=[PaymentRequest(method="card_in_store")],
    )
    book_counter_sale(session=session, order=void, tendered=None, actor=associate)
    cancel_order(order=void, actor=associate, reason="Changed her mind")

    report = z_report(session)
    # The voided sale stays a sale of the session; its card hold was released, so
    # nothing is refunded and the void shows what was rung up.
    assert report.sales_by_tender == [
        ("Card in store", D("70.00")),
        ("Cash", D("10.00")),
    ]
    assert report.orders == 2 and report.sales_total == split.total + void.total
    assert report.refunds_by_tender == []
    assert [o.number for o in report.voids] == [void.number]
    assert report.voids_total == D("40.00")
    assert report.cash["sale"] == D("10.00")


@pytest.mark.django_db
def test_only_a_manager_of_the_shop_or_hq_approves(store, associate, register):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    with pytest.raises(ApprovalRequired) as asked:
        close_till(session=session, counts={}, actor=associate)
    request = ask(asked.value, associate)
    elsewhere = make_approver(
        StaffFactory(role=Role.STORE_MANAGER, username="other-manager")
    )
    with pytest.raises(PermissionDenied):
        decide_approval(approval=request, approver=elsewhere, approve=True)
    hq = make_approver(UserFactory(role=Role.HQ), "Headquarters")
    decide_approval(approval=request, approver=hq, approve=True, note="ok")
    done = close_till(
        session=session, counts={}, actor=associate, approvals=[request.pk]
    )
    assert done.status == TillSessionStatus.CLOSED
    assert (done.approved_by, done.approval_note) == (hq, "ok")


@pytest.mark.django_db
def test_a_yes_to_a_drawer_over_does_not_close_it_short(store, associate, register):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    over = {**FLOAT, D("50"): FLOAT.get(D("50"), 0) + 1}
    with pytest.raises(ApprovalRequired) as asked:
        close_till(session=session, counts=over, actor=associate)
    request = ask(asked.value, associate)
    assert "over" in request.summary
    hq = make_approver(UserFactory(role=Role.HQ), "Headquarters")
    decide_approval(approval=request, approver=hq, approve=True)

    short = {**FLOAT, D("50"): FLOAT.get(D("50"), 0) - 1}
    with pytest.raises(ApprovalRequired):
        close_till(
            session=session, counts=short, actor=associate, approvals=[request.pk]
        )
    session.refresh_from_db()
    assert session.status == TillSessionStatus.OPEN
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED  # still there for the real count
    done = close_till(
        session=session, counts=over, actor=associate, approvals=[request.pk]
    )
    assert done.status == TillSessionStatus.CLOSED and done.approved_by is not None


@pytest.mark.django_db
def test_a_manager_closes_beyond_the_tolerance_themselves(store, manager, register):
    """The manager's own close is approved by them, and recorded so."""
    session = open_till(register=register, counts=FLOAT, actor=manager)
    done = close_till(session=session, counts={}, actor=manager, note="Robbed")
    assert done.status == TillSessionStatus.CLOSED and done.approved_by == manager
    record = Approval.objects.get(subject=f"till:{session.pk}:short")
    assert (record.status, record.channel, record.amount) == (
        ApprovalStatus.USED,
        "self",
        D("150.00"),
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_devices_closing_the_same_session_make_one_close():
    store = shop(code="MI01")
    associate = StaffFactory(store=store)
    register = Register.objects.create(location=store, name="Till 1")
    session = open_till(register=register, counts=FLOAT, actor=associate)

    def close(counts):
        return lambda: close_till(session=session.pk, counts=counts, actor=associate)

    results = run_parallel([close(FLOAT), close({D("50"): 3})] * 2)

    closed = [r for r in results if isinstance(r, TillSession)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(closed) == 1 and len(refused) == 3, results
    assert TillMovement.objects.filter(
        session=session, kind=TillMovementKind.CLOSE_ADJUSTMENT
    ).count() == (1 if closed[0].over_short else 0)
    assert TillSession.objects.get().status != TillSessionStatus.OPEN


@pytest.mark.django_db
def test_cash_is_taken_at_the_till_when_payments_go_through_stripe(
    fake_stripe, store, associate, register
):
    """Production takes card payments through Stripe only; cash at the counter is
    counted into the till, its refund paid out of it, and Stripe is never asked."""
    session = open_till(register=register, counts=FLOAT, actor=associate)
    item = stocked(store, 5, price="69.00")
    order = cash_sale(store, associate, session, item, "100")
    payment = order.payments.get()
    assert (payment.provider, payment.status) == ("cash", "captured")

    return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=store,
        actor=associate,
    )

    assert expected_cash(session) == D("150.00")
    assert fake_stripe.requests == []


@pytest.mark.django_db
def test_the_z_report_sums_vat_by_rate_over_the_sessions_sales(
    store, associate, register, client
):
    """VAT as the orders were sold (the per-rate totals checkout wrote): the
    session's sales add up per rate, a sale voided since included (it was sold in
    the session); a sale on another till adds nothing."""
    session = open_till(register=register, counts=FLOAT, actor=associate)
    shirt = stocked(store, 5, price="122.00")
    book = stocked(store, 5, price="10.40")
    book.product.tax_class = "super_reduced"  # 4 % in Italy
    book.product.save(update_fields=["tax_class"])
    sold = [
        cash_sale(store, associate, session, shirt, "122"),
        cash_sale(store, associate, session, book, "20"),
    ]
    voided = place_order(
        lines=[LineRequest(shirt, 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email="pia@example.com",
        payments=[PaymentRequest(method="card_in_store")],
        till=TillBooking(session),
    )
    cancel_order(order=voided, actor=associate, reason="Rung up twice")
    elsewhere = counter_sale(store=store, lines=[(shirt, 1)], staff=associate)
    # Every one of them has its VAT recorded; only the session's sales count.
    assert all(o.tax_totals.exists() for o in [*sold, voided, elsewhere])

    report = z_report(session)

    assert [(v.rate, v.net, v.tax, v.gross) for v in report.vat] == [
        (D("22.00"), D("200.00"), D("44.00"), D("244.00")),
        (D("4.00"), D("10.00"), D("0.40"), D("10.40")),
    ]
    assert sum(v.gross for v in report.vat) == report.sales_total
    client.force_login(associate)
    page = client.get(reverse("staff:till_report", args=[session.pk])).content.decode()
    assert "<td>22.00 %</td>" in page and '<td class="num">0.40</td>' in page
