"""The order page, picking, making ready, shipping and cancelling: any order found by
its number, acted on only where it is fulfilled (see ``access``)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import current_store, require_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial, redirect_to
from orders.models import FulfilmentMethod, FulfilmentStatus, Order, OrderStatus
from orders.selectors.orders import order_detail as find_order
from orders.selectors.pickups import parse_pickup_qr
from orders.selectors.work import awaiting_transfer, picked_here, picking_queue
from orders.services.fulfilment import (
    can_move,
    cancel_order,
    mark_picked,
    mark_ready,
    ship_order,
)
from orders.staff.forms.orders import CancelForm, ShipForm
from orders.staff.statuses import STATUS_LABELS, explain
from orders.staff.views.access import (
    acting_order,
    acts_at,
    may_act,
    order_or_404,
    sold_or_fulfilled_here,
    where,
)


def order_parts(order: Order) -> dict:
    history = list(order.history.all())
    for change in history:
        change.from_label = STATUS_LABELS.get(change.from_status, change.from_status)
        change.to_label = STATUS_LABELS.get(change.to_status, change.to_status)
    payments = list(order.payments.all())
    return {
        "lines": list(order.lines.all()),
        "fulfilments": list(order.fulfilments.all()),
        "payments": payments,
        "refunds": [r for p in payments for r in p.refunds.all()],
        "history": history,
        "paid": sum((p.amount for p in payments), Decimal("0.00")),
        "refunded": sum((p.refunded_amount for p in payments), Decimal("0.00")),
    }


def _detail_context(request, order: Order, **extra) -> dict:
    user = request.user
    method = order.fulfilment_method
    picked = order.status == OrderStatus.PICKED
    context = {
        "order": order,
        **order_parts(order),
        "may_act": may_act(user, order),
        "can_pick": order.status == OrderStatus.PLACED and may_act(user, order, "pick"),
        "can_ready": picked
        and method == FulfilmentMethod.PICKUP
        and may_act(user, order, "ready"),
        "can_ship": picked
        and method == FulfilmentMethod.DELIVERY
        and may_act(user, order, "ship"),
        "can_collect": order.status == OrderStatus.READY
        and may_act(user, order, "collect"),
        "can_cancel": can_move(order, OrderStatus.CANCELLED)
        and sold_or_fulfilled_here(user, order),
        "may_send_documents": sold_or_fulfilled_here(user, order),
        "cancel_form": CancelForm(),
        "ship_form": ShipForm(),
        "action_error": None,
    }
    context.update(extra)
    return context


@staff_required
def order_search(request):
    """Find any order by its number (or a scanned pickup QR), from any channel."""
    query = request.GET.get("q", "").strip()[:100]
    if query:
        scanned = parse_pickup_qr(query)
        number = scanned[0] if scanned else query
        try:
            order = find_order(number=number)
        except NotFound:
            pass
        else:
            return redirect("staff:order_detail", number=order.number)
    return render(
        request,
        "orders/staff/order_search.html",
        {"q": query, "not_found": bool(query)},
    )


@staff_required
def order_detail(request, number: str):
    order = order_or_404(number)
    if order.number != number:
        return redirect("staff:order_detail", number=order.number)
    return render(
        request, "orders/staff/order_detail.html", _detail_context(request, order)
    )


def _back(request, order: Order) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("staff:order_detail", args=[order.number])


def _refused(request, order: Order, error_message: str, **forms_):
    """Show a refusal where the button was: the picking list or the order page."""
    if request.POST.get("from") == "picking":
        store = require_store(request)
        context = _picking_context(store, page=request.POST.get("page"))
        context["action_error"] = f"{order.number}: {error_message}"
        return render(request, "orders/staff/picking.html", context, status=INVALID)
    order = order_or_404(order.number)
    context = _detail_context(request, order, action_error=error_message, **forms_)
    return render(request, "orders/staff/order_detail.html", context, status=INVALID)


def _step(request, number: str, *, action: str, perform, done: str, reached: tuple):
    """One step of an order's picking; a step already taken (a double tap, a
    colleague's tap) says so instead of refusing it."""
    order = acting_order(request, number, action)
    try:
        order = perform(order)
    except ApplicationError as error:
        status, already = reached
        now = Order.objects.filter(pk=order.pk).values_list("status", flat=True)
        if now.first() == status:
            messages.info(request, f"Order {order.number} {already}.")
            return redirect_to(request, _back(request, order))
        return _refused(request, order, explain(error))
    messages.success(request, f"Order {order.number} {done}.")
    return redirect_to(request, _back(request, order))


@staff_required
@require_POST
def order_pick(request, number: str):
    store = current_store(request)
    return _step(
        request,
        number,
        action="pick",
        perform=lambda order: mark_picked(
            order=order, actor=request.user, location=where(order, store, pickup=False)
        ),
        done="picked",
        reached=(OrderStatus.PICKED, "was already picked"),
    )


@staff_required
@require_POST
def order_ready(request, number: str):
    """Ready for pickup: the service issues the code and emails the customer."""
    store = current_store(request)
    return _step(
        request,
        number,
        action="ready",
        perform=lambda order: mark_ready(
            order=order, actor=request.user, location=where(order, store, pickup=True)
        ),
        done="is ready for pickup; the customer has been sent the pickup code",
        reached=(OrderStatus.READY, "was already ready; its pickup code was sent then"),
    )


@staff_required
@require_POST
def order_ship(request, number: str):
    store = current_store(request)
    order = acting_order(request, number, "ship")
    form = ShipForm(request.POST)
    if not form.is_valid():
        return _refused(request, order, "Check the tracking number.", ship_form=form)
    try:
        order = ship_order(
            order=order,
            actor=request.user,
            tracking_reference=form.cleaned_data["tracking_reference"],
            location=where(order, store, pickup=False),
        )
    except ApplicationError as error:
        return _refused(request, order, explain(error), ship_form=form)
    messages.success(request, f"Order {order.number} shipped.")
    return redirect_to(request, _back(request, order))


@staff_required
@require_POST
def order_cancel(request, number: str):
    """Cancel with a reason: stock released, payments refunded, customer told. A
    refund above the limit waits for a manager: the form is sent again with the
    approval."""
    order = acting_order(request, number, "cancel")
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            order = cancel_order(
                order=order,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                location=current_store(request),
                approvals=given_approvals(request),
            )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id="cancel-form")
        except ApplicationError as error:
            add_service_error(form, error, explain=explain)
        else:
            messages.success(
                request,
                f"Order {order.number} cancelled; stock released and payments "
                "refunded.",
            )
            return redirect_to(request, _back(request, order))
    order = order_or_404(number)
    refusal = " ".join(form.non_field_errors()) or None
    context = _detail_context(request, order, cancel_form=form, action_error=refusal)
    if is_partial(request):
        return render(
            request, "orders/staff/_cancel_form.html", context, status=INVALID
        )
    return render(request, "orders/staff/order_detail.html", context, status=INVALID)


def _shelf_lines(order: Order, store) -> list:
    """The lines this shop takes off its own shelves for the order."""
    return [
        line
        for line in order.lines.all()
        if line.fulfilment is not None
        and line.fulfilment.status != FulfilmentStatus.CANCELLED
        and acts_at(line.fulfilment, store.pk, "pick")
    ]


# Orders to pick shown at once, oldest first: a busy shop's queue runs to hundreds.
PICKING_PAGE_SIZE = 50


def _picking_context(store, *, page=None) -> dict:
    """One page of the orders to pick (``page`` as typed: a bad or out-of-range
    number shows the first or last page, as every staff list does) and its pick
    list; what is picked or on the way shows its oldest ``PICKING_PAGE_SIZE`` (each
    section is worked oldest first, the next come up as those move on)."""
    page = Paginator(picking_queue(location=store), PICKING_PAGE_SIZE).get_page(page)
    to_pick = list(page.object_list)
    summary: dict[str, dict] = {}
    for order in to_pick:
        order.shelf_lines = _shelf_lines(order, store)
        order.pickup_here = order.fulfilment_method == FulfilmentMethod.PICKUP
        for line in order.shelf_lines:
            row = summary.setdefault(
                line.sku,
                {
                    "sku": line.sku,
                    "name": line.name,
                    "variant": line.variant,
                    "units": 0,
                },
            )
            row["units"] += line.quantity
    picked_all = picked_here(location=store)
    picked = list(picked_all[:PICKING_PAGE_SIZE])
    for order in picked:
        order.shelf_lines = list(order.lines.all())
    awaiting_all = awaiting_transfer(location=store)
    awaiting = list(awaiting_all[:PICKING_PAGE_SIZE])
    for order in awaiting:
        order.transfers = [
            f.transfer for f in order.fulfilments.all() if f.transfer_id is not None
        ]
    to_ready = [o for o in picked if o.fulfilment_method == FulfilmentMethod.PICKUP]
    to_ship = [o for o in picked if o.fulfilment_method == FulfilmentMethod.DELIVERY]
    back = reverse("staff:picking")
    return {
        "store": store,
        "page": page,
        "to_pick": to_pick,
        "picking_url": f"{back}?page={page.number}" if page.number > 1 else back,
        "summary": sorted(summary.values(), key=lambda row: row["sku"]),
        "to_ready": to_ready,
        "to_ship": to_ship,
        "picked_count": _count(picked, picked_all),
        "awaiting": awaiting,
        "awaiting_count": _count(awaiting, awaiting_all),
        "section_size": PICKING_PAGE_SIZE,
        "ship_form": ShipForm(),
        "action_error": None,
    }


def _count(shown: list, every) -> int:
    """How many there are: the rows shown when the section holds them all (no
    query), else a count of the whole queryset."""
    return len(shown) if len(shown) < PICKING_PAGE_SIZE else every.count()


@staff_required
def picking(request):
    store = require_store(request)
    context = _picking_context(store, page=request.GET.get("page"))
    return render(request, "orders/staff/picking.html", context)
