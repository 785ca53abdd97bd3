"""The order page and its steps (picking, making ready, shipping, marking delivered,
cancelling), sent from it or from the picking list (``picking``): any order found by
its number, acted on only where it is fulfilled (see ``access``)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.exceptions import ApplicationError, NotFound, ValidationFailed
from omnistore.staff.auth import current_store, staff_required
from omnistore.staff.htmx import (
    INVALID,
    add_service_error,
    is_partial,
    redirect_to,
    same_site,
)
from omnistore.staff.once import new_token
from orders.models import FulfilmentMethod, FulfilmentStatus, Order, OrderStatus
from orders.selectors.access import (
    cancelled_elsewhere,
    may_act,
    may_confirm_delivery,
    sold_or_fulfilled_here,
)
from orders.selectors.giftcards import gift_cards_sold
from orders.selectors.invoices import why_no_invoice
from orders.selectors.orders import (
    NUMBER_PART_MIN,
    cancelled_part_ids,
    orders_numbered_like,
    refunded_so_far,
)
from orders.selectors.orders import order_detail as find_order
from orders.selectors.payments import payments_taken
from orders.selectors.pickups import parse_pickup_qr, why_no_pickup_slip
from orders.selectors.receipts import same_items_once
from orders.selectors.returns import returns_of_order
from orders.services.delivery_address import may_change_address
from orders.services.fulfilment import (
    can_move,
    cancel_order,
    mark_delivered,
    mark_picked,
    mark_ready,
    ship_order,
)
from orders.staff.forms.orders import (
    AddressChangeForm,
    CancelForm,
    DeliveredForm,
    ShipForm,
)
from orders.staff.statuses import STATUS_LABELS, explain
from orders.staff.views.access import (
    acting_order,
    acting_part,
    delivering_order,
    order_or_404,
    part_steps,
    parts_at,
    where,
)
from orders.staff.views.picking import other_shops, picking_refused
from orders.staff.views.returns import marked_openable
from orders.staff.views.till import device_counter


def order_parts(order: Order) -> dict:
    """What the order page lists. ``paid`` is the money taken, a card only held or
    let go apart (``taken``); ``refunded`` is all the order gave back: its
    payments' refunds and the store credit its returns gave instead, each return
    listed with how it was paid back."""
    history = list(order.history.all())
    for change in history:
        change.from_label = STATUS_LABELS.get(change.from_status, change.from_status)
        change.to_label = STATUS_LABELS.get(change.to_status, change.to_status)
    payments = list(order.payments.all())
    returned = returns_of_order(order)
    taken = payments_taken(payments)
    return {
        # An item sourced from several places is one row, as on the receipt.
        "lines": same_items_once(order.lines.all(), cancelled_part_ids(order)),
        "gift_cards": gift_cards_sold(order),  # no order lines: listed after them
        "fulfilments": list(order.fulfilments.all()),
        "payments": payments,
        "refunds": [r for p in payments for r in p.refunds.all()],
        "order_returns": returned.returns,
        "history": history,
        "paid": taken.paid,
        "taken": taken,
        "refunded": returned.given_back,
    }


def _parcels_shipped(order: Order) -> tuple[int, int] | None:
    """(shipped, all) of a delivery leaving in several parcels while some have left
    and others not: the order stays picked until the last one has."""
    parcels = [
        f
        for f in order.fulfilments.all()
        if f.method == FulfilmentMethod.DELIVERY
        and f.status != FulfilmentStatus.CANCELLED
    ]
    shipped = sum(f.status == FulfilmentStatus.SHIPPED for f in parcels)
    return (shipped, len(parcels)) if 0 < shipped < len(parcels) else None


def detail_context(request, order: Order, **extra) -> dict:
    """What the order page shows; ``extra``: a refused action's form and message."""
    user = request.user
    method = order.fulfilment_method
    picked = order.status == OrderStatus.PICKED
    parcels = _parcels_shipped(order)
    store = current_store(request)
    parts = order_parts(order)
    steps = _steps_left(part_steps(user, order, store), parts["taken"])
    marked_openable(user, parts["order_returns"], store)  # linked where it opens
    cancels = can_move(order, OrderStatus.CANCELLED)
    # A lapsed hold is never taken again: the page leads to cancelling instead.
    lapsed = bool(parts["taken"].lapsed) and cancels
    elsewhere = cancelled_elsewhere(order, store) if cancels else ""  # a warehouse
    context = {
        "order": order,
        **parts,
        "may_act": may_act(user, order),
        "part_steps": steps,
        "several_places": len({f.location_id for f in _active(order)}) > 1,
        "can_pick": any(step["pick"] for step in steps),
        "can_ready": picked
        and method == FulfilmentMethod.PICKUP
        and may_act(user, order, "ready"),
        "can_ship": any(step["ship"] for step in steps),
        "can_collect": order.status == OrderStatus.READY
        and not lapsed
        and may_act(user, order, "collect"),
        "can_deliver": can_move(order, OrderStatus.DELIVERED)
        and may_confirm_delivery(user, order),
        "can_cancel": cancels and sold_or_fulfilled_here(user, order) and not elsewhere,
        "cancelled_elsewhere": sold_or_fulfilled_here(user, order) and elsewhere,
        "hold_lapsed": lapsed,
        # Sent no pickup code: its pickup shop's desk gives it (``pickup_slip``).
        "code_not_emailed": order.status == OrderStatus.READY and not order.email,
        "may_print_slip": not why_no_pickup_slip(order, store)
        and may_act(user, order, "collect"),
        "may_send_documents": sold_or_fulfilled_here(user, order),
        "invoice_refusal": why_no_invoice(order),  # None: "Issue invoice" offered
        "receipt_once": new_token(),
        "parcels_shipped": parcels,
        "cancel_form": CancelForm(),
        "ship_form": ShipForm(),
        "ship_at": None,
        "delivered_form": DeliveredForm(order=order),
        # Whoever may cancel the order may send it elsewhere.
        "can_change_address": may_change_address(order)
        and sold_or_fulfilled_here(user, order),
        "address_form": AddressChangeForm(order=order),
        "action_error": None,
    }
    context.update(extra)
    return context


def _steps_left(steps: list[dict], taken) -> list[dict]:
    """The pick and ship steps the page offers: none ships once a card hold has
    lapsed (``ship_order`` refuses it: nothing leaves unpaid), and a part left with
    nothing to do is not listed."""
    if not taken.lapsed:
        return steps
    kept = [{**step, "ship": False} for step in steps]
    return [step for step in kept if step["pick"] or step["awaits"]]


def _active(order: Order) -> list:
    return [
        f for f in order.fulfilments.all() if f.status != FulfilmentStatus.CANCELLED
    ]


@staff_required
def order_search(request):
    """Find any order by its number (or a scanned pickup QR), from any channel; a
    part of a number opens the one order it names, or lists those it could be."""
    query = request.GET.get("q", "").strip()[:100]
    matches = []
    if query:
        scanned = parse_pickup_qr(query)
        number = scanned[0] if scanned else query
        try:
            order = find_order(number=number)
        except NotFound:
            matches = orders_numbered_like(query)
        else:
            return redirect("staff:order_detail", number=order.number)
        if len(matches) == 1:
            return redirect("staff:order_detail", number=matches[0].number)
    return render(
        request,
        "orders/staff/order_search.html",
        {
            "q": query,
            "matches": matches,
            "not_found": bool(query) and not matches,
            "too_short": len("".join(query.split())) < NUMBER_PART_MIN,
            "part_min": NUMBER_PART_MIN,
        },
    )


@staff_required
def order_detail(request, number: str):
    order = order_or_404(number)
    if order.number != number:
        return redirect("staff:order_detail", number=order.number)
    return render(
        request, "orders/staff/order_detail.html", detail_context(request, order)
    )


def _back(request, order: Order) -> str:
    return same_site(request, request.POST.get("next")) or reverse(
        "staff:order_detail", args=[order.number]
    )


def _refused(request, order: Order, error_message: str, **forms_):
    """Show a refusal where the button was: the picking list or the order page."""
    if request.POST.get("from") == "picking":
        ship_form, ship_at = forms_.get("ship_form"), forms_.get("ship_at")
        return picking_refused(
            request, order, error_message, ship_form=ship_form, ship_at=ship_at
        )
    order = order_or_404(order.number)
    context = detail_context(request, order, action_error=error_message, **forms_)
    return render(request, "orders/staff/order_detail.html", context, status=INVALID)


def _step(
    request,
    order: Order,
    *,
    perform,
    done: str | Callable[[Order], str],
    already: str,
    reached,
    **forms_,
):
    """One step of an order's picking; a step already taken (a double tap, a
    colleague's tap) says so instead of refusing it: ``reached`` tells, from the
    order read again, whether the step was taken. ``done`` (or ``done(order)``, of
    the order the step left) and ``already`` follow the order's number as written
    ("… picked", "…: the part from X picked"). ``forms_`` are shown again with a
    refusal."""
    try:
        order = perform(order)
    except ApplicationError as error:
        if reached(order_or_404(order.number)):
            messages.info(request, f"Order {order.number}{already}.")
            return redirect_to(request, _back(request, order))
        return _refused(request, order, explain(error), **forms_)
    said = done(order) if callable(done) else done
    messages.success(request, f"Order {order.number}{said}.")
    return redirect_to(request, _back(request, order))


def _shipped_from(order: Order, place) -> bool:
    """The part of the order leaving from ``place`` has left."""
    parts = parts_at(order, place.pk, "ship")
    return bool(parts) and all(f.status == FulfilmentStatus.SHIPPED for f in parts)


def _picked_here(order: Order, shop) -> bool:
    """The order is picked and this shop's part of it no longer waits to be."""
    parts = parts_at(order, shop.pk, "pick")
    return (
        order.status == OrderStatus.PICKED
        and bool(parts)
        and all(f.status != FulfilmentStatus.PENDING for f in parts)
    )


@staff_required
@require_POST
def order_pick(request, number: str):
    """A location's part of the order is picked (this shop's, or the one the form
    names): the whole order, unless it is split over several locations."""
    order, shop = acting_part(request, number, "pick")
    split = other_shops(order, shop)
    return _step(
        request,
        order,
        perform=lambda order: mark_picked(
            order=order, actor=request.user, location=shop
        ),
        done=f": the part from {shop.name} picked" if split else " picked",
        already=" was already picked",
        reached=lambda order: _picked_here(order, shop),
    )


# An order without an email is sent no pickup code: staff give it to the customer.
GIVE_THE_CODE = (
    ". No email on this order: give the customer the pickup code "
    "(Pickup slip, on the order's page)"
)


@staff_required
@require_POST
def order_ready(request, number: str):
    """Ready for pickup: the service issues the code and emails the customer; an
    order without an email gets none, and the page says to give the code."""
    store = current_store(request)
    order = acting_order(request, number, "ready")
    sent = "; the customer has been sent the pickup code"
    sent_then = "; its pickup code was sent then"
    if not order.email:
        sent = sent_then = GIVE_THE_CODE
    return _step(
        request,
        order,
        perform=lambda order: mark_ready(
            order=order, actor=request.user, location=where(order, store, pickup=True)
        ),
        done=f" is ready for pickup{sent}",
        already=f" was already ready{sent_then}",
        reached=lambda order: order.status == OrderStatus.READY,
    )


@staff_required
@require_POST
def order_ship(request, number: str):
    """A location's picked part (this shop's, or the one the form names) leaves with
    its carrier and tracking number; the order is shipped once every part has left.
    A second tap finds it gone and says so."""
    order, shop = acting_part(request, number, "ship")
    form = ShipForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            order,
            "Check the carrier and the tracking number.",
            ship_form=form,
            ship_at=shop.pk,
        )
    others = {f.location_id for f in _active(order)} - {shop.pk}
    part = f": the part from {shop.name}"
    return _step(
        request,
        order,
        perform=lambda order: ship_order(
            order=order,
            actor=request.user,
            tracking_reference=form.cleaned_data["tracking_reference"],
            carrier=form.cleaned_data["carrier"],
            location=shop,
        ),
        done=lambda order: (
            " shipped"
            if order.status == OrderStatus.SHIPPED
            else f"{part} shipped; the rest leaves from other locations"
        ),
        already=f"{part} was already shipped" if others else " was already shipped",
        reached=lambda order: _shipped_from(order, shop),
        ship_form=form,
        ship_at=shop.pk,
    )


@staff_required
@require_POST
def order_deliver(request, number: str):
    """A shipped delivery reached the customer (on the day the form names, today by
    default): its points can be spent and its return window runs from that day. A
    second tap finds it delivered and says so."""
    order = delivering_order(request, number)
    form = DeliveredForm(request.POST, order=order)
    if not form.is_valid():
        return _refused(
            request, order, "Check the delivery date and note.", delivered_form=form
        )

    def deliver(order: Order) -> Order:
        try:
            return mark_delivered(
                order=order,
                actor=request.user,
                delivered_at=form.delivered_at(),
                note=form.cleaned_data["note"],
                location=current_store(request),
            )
        except ValidationFailed as error:
            fields = {"delivered_at": "delivered_on"}
            add_service_error(form, error, fields, field_only=True)
            raise

    return _step(
        request,
        order,
        perform=deliver,
        done=" marked delivered",
        already=" was already delivered",
        reached=lambda order: order.status == OrderStatus.DELIVERED,
        delivered_form=form,
    )


@staff_required
@require_POST
def order_cancel(request, number: str):
    """Cancel with a reason: stock released, payments refunded, customer told. A
    refund above the limit waits for a manager: the form is sent again with the
    approval."""
    order = acting_order(request, number, "cancel")
    form = CancelForm(request.POST)
    store = current_store(request)
    if form.is_valid():
        before = refunded_so_far(order)
        try:
            with device_counter(request, store):  # cash goes back from its drawer
                order = cancel_order(
                    order=order,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    location=store,
                    approvals=given_approvals(request),
                )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id="cancel-form")
        except ApplicationError as error:
            add_service_error(form, error, explain=explain)
        else:
            refunded = refunded_so_far(order) - before
            messages.success(request, _cancelled_said(order, refunded))
            return redirect_to(request, _back(request, order))
    order = order_or_404(number)
    refusal = " ".join(form.non_field_errors()) or None
    context = detail_context(request, order, cancel_form=form, action_error=refusal)
    if is_partial(request):
        return render(
            request, "orders/staff/_cancel_form.html", context, status=INVALID
        )
    return render(request, "orders/staff/order_detail.html", context, status=INVALID)


def _cancelled_said(order: Order, refunded) -> str:
    """What a cancel did, as the order now is: cancelled whole, or (a split delivery
    a parcel of which had left) only its parts not shipped; and what it refunded."""
    money = f"{refunded} {order.currency} refunded" if refunded else "nothing to refund"
    if order.status == OrderStatus.CANCELLED:
        return f"Order {order.number} cancelled; stock released, {money}."
    return f"Order {order.number}: parts not shipped cancelled; {money}."
