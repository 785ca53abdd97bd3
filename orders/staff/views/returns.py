"""The returns desk: one search box for an order (number, receipt, pickup QR), a return
started online (its code or QR), or a customer (email, phone in any format, loyalty
card, name); then the return itself — lines, condition, where each item goes, the
refund — in one confirm or two steps.

Any shop takes back any order, and so does a warehouse: the returns location of a
market receives the parcels its customers post. A return started online has no shop
until it is received, so every desk finds it by its code; once it lands at a shop only
that shop's desk acts on it: its managers (and HQ) read it from wherever they act, its
page offering to switch to that shop, and anyone else gets a 404 (a desk sending its
receipt of one another desk received meanwhile is told where and when, and nothing
else). A warehouse has no till and no counter: it refunds to the payments that are
not cash, or as store credit, and exchanges nothing. What each desk can refund as
is read before anything is sent (``return_refusals``).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_POST

from omnistore.accounts.scoping import manages
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial, redirect_to
from omnistore.staff.once import claim, give_back
from orders.models import Order, RefundMethod, Return, ReturnStatus
from orders.selectors.access import has_a_shop, sold_or_fulfilled_here
from orders.selectors.giftcards import gift_cards_sold
from orders.selectors.receipts import return_refunds
from orders.selectors.return_reach import no_return_taken
from orders.selectors.returns import (
    RETURNABLE_ORDER_STATUSES,
    awaited_returns,
    brought_late,
    cash_rounded_out,
    handed_over_at,
    order_returns,
    refund_of,
    refund_said,
    return_brought_by,
    return_deadline,
    return_desk_search,
    return_open_to,
    return_points,
    returnable_lines,
    returns_waiting,
)
from orders.selectors.returns import return_detail as find_return
from orders.services.refund_cash import cash_out_of_refund, cash_paid_out
from orders.services.refunds import (
    receive_and_refund_return,
    receive_return,
    refund_return,
    return_at_counter,
)
from orders.services.return_endings import (
    cancel_return,
    close_return,
    close_without_refund,
)
from orders.staff.forms.returns import (
    CancelReturnForm,
    CloseWithoutRefundForm,
    ReceiveReturnForm,
    RefundForm,
    ReturnStartForm,
)
from orders.staff.statuses import explain
from orders.staff.views.access import order_or_404
from orders.staff.views.return_refusals import RefundHere, refund_here
from orders.staff.views.till import device_counter

RETURN_STATUS_LABELS = dict(ReturnStatus.choices)


def _may_see(ret: Return, store) -> bool:
    """The desk at ``store`` acts on it: started online and not received yet,
    every desk; else its own shop's, whoever acts there (HQ too: the refund is
    paid from the drawer of the shop acted for)."""
    return return_open_to(ret, store=store)


def _may_read(user, ret: Return, store) -> bool:
    """What ``_may_see`` opens, and a return received at another shop the user
    manages (the manager pages list the returns of all their shops; HQ manages
    every shop): read there, acted on from its own desk."""
    if _may_see(ret, store):
        return True
    return ret.receiving_location_id is not None and manages(
        user, ret.receiving_location_id
    )


def _may_cancel(user, ret: Return, store) -> bool:
    """A return the customer started online is found at every desk, to be received
    where they turn up; the order's own shops (and HQ) call it off, and any desk
    when no shop took or fulfils the order (a delivery from a warehouse)."""
    if ret.receiving_location_id is not None or user.sees_all_stores:
        return _may_see(ret, store)
    order = ret.order
    return sold_or_fulfilled_here(user, order) or not has_a_shop(order)


def return_or_404(request, code: str, store) -> Return:
    """The return this user may read from ``store`` (its page, its receipt);
    anyone else's is 404. Acting on it takes its own desk (``_elsewhere``)."""
    try:
        ret = find_return(code=code)
    except NotFound:
        raise Http404("No such return.") from None
    if not _may_read(request.user, ret, store):
        raise Http404("No such return.")
    return ret


def _elsewhere(request, store, ret: Return):
    """A manager reading another shop's return does not act on it from here: the
    page again, saying where it is acted on (422); None when this desk acts."""
    if _may_see(ret, store):
        return None
    where = ret.receiving_location.name
    message = f"This return is {where}'s: switch to {where} to act on it."
    return _refused(request, store, ret.code, message)


@staff_required
def returns_desk(request):
    """Search, and the returns waiting at this shop. A code, a scanned QR or an order
    number that names one thing opens it straight away."""
    store = require_store(request)
    query = request.GET.get("q", "").strip()[:100]
    found = return_desk_search(
        query=query,
        store=store,
        sees_all_stores=request.user.sees_all_stores,
        region=store.country,
    )
    if not is_partial(request):
        if found.return_request is not None:
            return redirect("staff:return_detail", code=found.return_request.code)
        if found.order is not None:
            return redirect("staff:return_start", number=found.order.number)
    marked_openable(request.user, found.awaited, store)  # linked where it opens
    if found.order is not None and found.order.left_to_return:
        refused = no_return_taken(found.order)  # said in place of the button
        found.given_up = refused.message if refused is not None else ""
    context = {"store": store, "q": query, "found": found}
    if is_partial(request):
        return render(request, "orders/staff/returns/_desk_results.html", context)
    context["waiting"] = list(returns_waiting(location=store))
    return render(request, "orders/staff/returns/desk.html", context)


def start_context(request, store, order: Order, data=None) -> dict:
    """What the start page shows; ``data``: the form as sent (or as typed so far),
    and ``refund_due``, what the units chosen in it refund (None: none chosen, or
    ``units_to_check``: one of them is no number its line takes)."""
    lines = returnable_lines(order)
    deadline = return_deadline(order)
    outside = deadline is not None and timezone.now() > deadline
    returnable = order.status in RETURNABLE_ORDER_STATUSES
    here = refund_here(request, order, store)
    form = ReturnStartForm(
        data, lines=lines, needs_override=outside, refused=here.refused
    )
    earlier = marked_openable(request.user, order_returns(order), store)
    typed = form.units_typed()
    due = None if typed is None else refund_of(lines, typed)
    payments = list(order.payments.all())
    return {
        "refund_here": here,
        "store": store,
        "order": order,
        "form": form,
        "units_to_check": typed is None,
        "refund_due": due,
        "cash_rounded_to": _cash_rounded_to(payments, form, due),
        "deadline": deadline,
        "handed_over": handed_over_at(order),
        "outside": outside,
        "returnable": returnable,
        "anything_left": any(line.returnable for line in lines),
        # an order whose payments cannot take back even one unit left (what an
        # erased customer gave up, a closed gift card): said in place of the form
        "given_up": no_return_taken(order, lines),
        "has_lines": bool(lines),  # none: it sold gift cards alone
        "gift_cards": [] if lines else gift_cards_sold(order),
        "earlier": earlier,
        "awaited": awaited_returns(earlier),  # on a return, not back yet
        "payments": payments,
    }


def _cash_rounded_to(payments: list, form, due: Decimal | None) -> Decimal | None:
    """The cash a refund of ``due`` to the order's ``payments`` (the method chosen in
    ``form``) pays out where the drawer's coins round it (29.98 francs: 30.00), as
    the till will pay it (``cash_paid_out``); None when no cash goes out or it needs
    no rounding."""
    if due is None or form["refund_method"].value() != RefundMethod.ORIGINAL:
        return None
    _, cash = cash_out_of_refund(payments, due)
    paid = cash_paid_out(payments, due) if cash else cash
    return paid if paid != cash else None


def marked_openable(user, returns, store) -> list[Return]:
    """The returns, each with ``openable``: linked only when this desk may open it
    (``return_or_404``); acting for no shop, none is (a return's page needs one)."""
    returns = list(returns)
    for ret in returns:
        ret.openable = store is not None and _may_read(user, ret, store)
    return returns


@staff_required
def return_start(request, number: str):
    """Take back lines of any order from any channel, here and now: received at this
    shop and, with "Receive and refund", refunded in the same confirm."""
    store = require_store(request)
    order = order_or_404(number)
    if order.number != number:
        return redirect("staff:return_start", number=order.number)
    if request.method != "POST":
        if is_partial(request) and "units" in request.GET:  # the refund as typed
            context = start_context(request, store, order, data=request.GET)
            return render(request, "orders/staff/returns/_start_form.html", context)
        return render(
            request,
            "orders/staff/returns/start.html",
            start_context(request, store, order),
        )
    context = start_context(request, store, order, data=request.POST)
    form = context["form"]
    if form.is_valid() and claim(request, form):
        data = form.cleaned_data
        try:
            with device_counter(request, store):
                ret = return_at_counter(
                    order=order,
                    lines=data["lines"],
                    location=store,
                    actor=request.user,
                    refund_method=data["refund_method"],
                    refund_now=request.POST.get("action") != "receive",
                    override_reason=data.get("override_reason", ""),
                    note=data.get("note", ""),
                    without_receipt=data.get("without_receipt", False),
                    approvals=given_approvals(request),
                )
        except ApprovalRequired as error:
            give_back(request, form)  # sent again with the approval
            return ask_manager(request, error, wrapper_id="return-form")
        except ApplicationError as error:
            give_back(request, form)
            add_service_error(form, error, explain=explain)
        else:
            messages.success(request, _done_message(ret))
            return redirect_to(request, reverse("staff:return_detail", args=[ret.code]))
    template = "orders/staff/returns/start.html"
    if is_partial(request):
        template = "orders/staff/returns/_start_form.html"
    return render(request, template, context, status=INVALID)


def _done_message(ret: Return) -> str:
    """What the desk is told: each refund as it was made (points, store credit,
    card, cash), as the refund receipt lists them, and the cash as the drawer paid
    it when its coins rounded it."""
    if ret.status == ReturnStatus.REFUNDED:
        said, cash = refund_said(ret), cash_rounded_out(ret)
        if cash is not None:
            said += f" · in cash {cash}, rounded to the smallest coin"
        return f"Return {ret.code} refunded: {said}."
    return f"Return {ret.code} received; refund it when ready."


def _detail_context(request, store, ret: Return, **forms_) -> dict:
    lines = list(ret.lines.all())
    history = list(ret.history.all())
    for change in history:
        change.from_label = RETURN_STATUS_LABELS.get(
            change.from_status, change.from_status
        )
        change.to_label = RETURN_STATUS_LABELS.get(change.to_status, change.to_status)
    acts_here = _may_see(ret, store)
    status = ret.status if acts_here else None  # another shop's: read, not acted on
    total = sum((line.amount for line in lines), Decimal("0.00"))
    here = RefundHere()
    if status in (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED):
        here = refund_here(request, ret.order, store, total)
    context = {
        "refund_here": here,
        "store": store,
        "acted_on_at": None if acts_here else ret.receiving_location,
        "ret": ret,
        "order": ret.order,
        "lines": lines,
        "history": history,
        "refunds": list(ret.refunds.all()),
        "credits": list(ret.store_credit.all()),
        "refunds_made": return_refunds(ret),  # each tender as it was made
        # the cash as the drawer paid it, when its coins rounded it
        "cash_out": cash_rounded_out(ret) if ret.refunded_at else None,
        "points": return_points(ret),
        "total": total,
        "can_receive": status == ReturnStatus.REQUESTED,
        "can_refund": status == ReturnStatus.RECEIVED,
        "can_close": status == ReturnStatus.REFUNDED,
        "can_cancel": status == ReturnStatus.REQUESTED
        and _may_cancel(request.user, ret, store),
        # a manager's way out when its refund can never be made
        "can_close_unrefunded": status == ReturnStatus.RECEIVED
        and manages(request.user, ret.receiving_location_id),
        "action_error": None,
    }
    asked = {}  # what the customer asked for, unless it is refused here
    if ret.refund_method not in here.refused:
        asked["refund_method"] = ret.refund_method
    if context["can_receive"]:
        context["receive_form"] = ReceiveReturnForm(
            lines=lines, initial=asked, late=brought_late(ret), refused=here.refused
        )
        context["brought_by"] = return_brought_by(ret)
    if context["can_refund"]:
        context["refund_form"] = RefundForm(initial=asked, refused=here.refused)
    context["cancel_form"] = CancelReturnForm()
    context["close_unrefunded_form"] = CloseWithoutRefundForm()
    context.update(forms_)
    return context


@staff_required
def return_detail(request, code: str):
    store = require_store(request)
    ret = return_or_404(request, code, store)
    if ret.code != code:
        return redirect("staff:return_detail", code=ret.code)
    return render(
        request,
        "orders/staff/returns/detail.html",
        _detail_context(request, store, ret),
    )


def _refused_here(request, ret: Return, store, lines=None) -> dict[str, str]:
    """The refund methods refused at ``store`` for the return's refund, for a
    form sent back with its errors."""
    lines = lines if lines is not None else ret.lines.all()
    total = sum((line.amount for line in lines), Decimal("0.00"))
    return refund_here(request, ret.order, store, total).refused


def _refused(request, store, code: str, message: str | None, **forms_):
    ret = return_or_404(request, code, store)
    context = _detail_context(request, store, ret, action_error=message, **forms_)
    template = "orders/staff/returns/detail.html"
    if is_partial(request):
        template = "orders/staff/returns/_actions.html"
    return render(request, template, context, status=INVALID)


@staff_required
@require_POST
def return_receive(request, code: str):
    """The goods are here: per line, what staff see and where it goes; with "Receive
    and refund" the money goes back in the same confirm. Another desk received it
    first (two desks at once, a page left open): this one is told where and when,
    nothing done here (``_received_meanwhile``)."""
    store = require_store(request)
    try:
        return _receive(request, code, store)
    except Http404:
        return _received_meanwhile(request, code, store)


def _received_meanwhile(request, code: str, store):
    """A return started online is found at every desk until one receives it; then
    only that shop's reads it (``return_or_404``). The desk that sent its own
    receipt of it meanwhile learns only where and when it was received, back at its
    returns desk; any other return stays a 404."""
    try:
        ret = find_return(code=code)
    except NotFound:
        raise Http404("No such return.") from None
    if ret.started_channel == Channel.STORE or ret.received_at is None:
        raise Http404("No such return.")
    when = timezone.localtime(ret.received_at)
    messages.error(
        request,
        f"Return {ret.code} was received at {ret.receiving_location.name} on "
        f"{dateformat.format(when, 'j F Y')} at {when:%H:%M}; nothing was done here.",
    )
    return redirect_to(request, reverse("staff:returns_desk"))


def _receive(request, code: str, store):
    ret = return_or_404(request, code, store)
    if (elsewhere := _elsewhere(request, store, ret)) is not None:
        return elsewhere
    lines = list(ret.lines.all())
    form = ReceiveReturnForm(
        request.POST,
        lines=lines,
        late=brought_late(ret),
        refused=_refused_here(request, ret, store, lines),
    )
    if form.is_valid():
        data = form.cleaned_data
        late = {"override_reason": data.get("override_reason", "")}
        try:
            if request.POST.get("action") == "receive":
                ret = receive_return(
                    return_request=ret,
                    location=store,
                    actor=request.user,
                    lines=data["lines"],
                    approvals=given_approvals(request),
                    **late,
                )
            else:
                with device_counter(request, store):
                    ret = receive_and_refund_return(
                        return_request=ret,
                        location=store,
                        actor=request.user,
                        lines=data["lines"],
                        method=data["refund_method"],
                        approvals=given_approvals(request),
                        **late,
                    )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id="return-actions")
        except ApplicationError as error:
            add_service_error(form, error, explain=explain)
        else:
            messages.success(request, _done_message(ret))
            return redirect_to(request, reverse("staff:return_detail", args=[ret.code]))
    refusal = " ".join(form.non_field_errors()) or None
    return _refused(request, store, code, refusal, receive_form=form)


@staff_required
@require_POST
def return_refund(request, code: str):
    """Refund a received return. A second confirm (a double tap, a second tablet)
    finds it refunded and pays nothing more."""
    store = require_store(request)
    ret = return_or_404(request, code, store)
    if (elsewhere := _elsewhere(request, store, ret)) is not None:
        return elsewhere
    form = RefundForm(request.POST, refused=_refused_here(request, ret, store))
    if form.is_valid():
        try:
            with device_counter(request, store):
                ret = refund_return(
                    return_request=ret,
                    actor=request.user,
                    method=form.cleaned_data["refund_method"],
                    location=store,
                    approvals=given_approvals(request),
                )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id="return-actions")
        except ApplicationError as error:
            add_service_error(form, error, explain=explain)
        else:
            if getattr(ret, "already_refunded", False):
                messages.info(request, f"Return {ret.code} was already refunded.")
            else:
                messages.success(request, _done_message(ret))
            return redirect_to(request, reverse("staff:return_detail", args=[ret.code]))
    refusal = " ".join(form.non_field_errors()) or None
    return _refused(request, store, code, refusal, refund_form=form)


@staff_required
@require_POST
def return_close(request, code: str):
    store = require_store(request)
    ret = return_or_404(request, code, store)
    if (elsewhere := _elsewhere(request, store, ret)) is not None:
        return elsewhere
    try:
        ret = close_return(return_request=ret, actor=request.user)
    except ApplicationError as error:
        return _refused(request, store, code, explain(error))
    messages.success(request, f"Return {ret.code} closed.")
    return redirect_to(request, reverse("staff:return_detail", args=[ret.code]))


@staff_required
@require_POST
def return_cancel(request, code: str):
    store = require_store(request)
    ret = return_or_404(request, code, store)
    if (elsewhere := _elsewhere(request, store, ret)) is not None:
        return elsewhere
    if not _may_cancel(request.user, ret, store):
        raise Http404("No such return.")
    form = CancelReturnForm(request.POST)
    return _end_with_reason(
        request, store, ret, form, "cancel_form", cancel_return, "cancelled"
    )


@staff_required
@require_POST
def return_close_unrefunded(request, code: str):
    """A manager closes a received return without a refund, saying why: the way out
    when its refund can never be made (``close_without_refund``)."""
    store = require_store(request)
    ret = return_or_404(request, code, store)
    if (elsewhere := _elsewhere(request, store, ret)) is not None:
        return elsewhere
    form = CloseWithoutRefundForm(request.POST)
    return _end_with_reason(
        request,
        store,
        ret,
        form,
        "close_unrefunded_form",
        close_without_refund,
        "closed without a refund",
    )


def _end_with_reason(request, store, ret: Return, form, form_name, end, done: str):
    """A return ended by ``end`` (a service taking the return, who, why and where)
    with the reason ``form`` holds: the return's page told ``done``, or the page again
    with the form and why it was refused."""
    if form.is_valid():
        try:
            ret = end(
                return_request=ret,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                location=store,
            )
        except ApplicationError as error:
            add_service_error(form, error, explain=explain)
        else:
            messages.success(request, f"Return {ret.code} {done}.")
            return redirect_to(request, reverse("staff:return_detail", args=[ret.code]))
    refusal = " ".join(form.non_field_errors()) or None
    return _refused(request, store, ret.code, refusal, **{form_name: form})
