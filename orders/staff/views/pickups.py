"""The pickup desk: orders ready here, found by number, QR, name, phone or email, and
handed over against their pickup code (or the customer's identity, with a note). An
order locked after too many wrong codes says so, in the list too; a manager of the shop
unlocks it, an associate with a manager's approval (PIN here, or their queue). One past
its date that waits for the shop (cash held) says what to do. An order without an email
was sent no code: its pickup slip gives staff the code and QR for the customer."""

from __future__ import annotations

import base64
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from customers.normalize import normalize_email, normalize_phone
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import require_store, shop_only, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial
from orders.emails import qr_png
from orders.models import Order, OrderStatus
from orders.selectors.payments import payments_taken
from orders.selectors.pickups import (
    parse_pickup_qr,
    pickup_qr_payload,
    pickup_search,
    waits_for_the_shop,
)
from orders.selectors.receipts import same_items_once
from orders.services.pickups import (
    collect_order,
    may_unlock_pickup,
    show_pickup_code,
    unlock_pickup,
)
from orders.staff.forms.pickups import CollectForm, UnlockForm
from orders.staff.statuses import explain
from orders.staff.views.access import acting_order, order_or_404, region, where

# The pickup code a scanned QR (or the code typed at the desk) brought to the
# hand-over: the form is filled in with it, and the page says whether it matches.
SCANNED_KEY = "pickup_scanned"

AT_A_SHOP = shop_only("The pickup desk")  # customers collect at a shop


def _scanned_code(request, order: Order) -> tuple[str, bool | None]:
    """The code brought from the desk for this order, and whether it matches."""
    scanned = request.session.pop(SCANNED_KEY, None) or {}
    if scanned.get("number") != order.number:
        return "", None
    return scanned["code"], scanned["code"] == (order.pickup_code or "").upper()


def _expiry_context(order: Order, now) -> None:
    expires = order.pickup_expires_at
    order.expires_soon = bool(
        expires
        and expires - now <= timedelta(days=settings.OMNISTORE_PICKUP_REMINDER_DAYS)
    )
    order.expired = bool(expires and expires <= now)


def _contact(query: str, region: str | None) -> dict:
    """The desk query read as an email and, when it has digits, as a phone number, in
    the customers app's normal form (None when it is neither)."""
    phone = None
    if any(ch.isdigit() for ch in query):
        phone = normalize_phone(query, region=region)
    return {"email": normalize_email(query), "phone": phone}


@staff_required
@AT_A_SHOP
def pickup_desk(request):
    """Orders ready here; search by order number, a scanned QR, the customer's name,
    phone or email. A scan or number matching one order opens it straight away."""
    store = require_store(request)
    query = request.GET.get("q", "").strip()[:100]
    orders = list(
        pickup_search(location=store, query=query, **_contact(query, region(store)))
    )
    scanned = parse_pickup_qr(query)
    if (
        query
        and len(orders) == 1
        and not is_partial(request)
        and (
            query.upper() in (orders[0].number, orders[0].pickup_code)
            or scanned is not None
        )
    ):
        if scanned is not None or query.upper() == orders[0].pickup_code:
            request.session[SCANNED_KEY] = {
                "number": orders[0].number,
                "code": scanned[1] if scanned else query.upper(),
            }
        return redirect("staff:pickup_collect", number=orders[0].number)
    now = timezone.now()
    for order in orders:
        order.units = sum(line.quantity for line in order.lines.all())
        _expiry_context(order, now)
    context = {
        "store": store,
        "q": query,
        "orders": orders,
        # Past their date and not cancelled by the clock: the shop cancels them.
        "for_the_shop": sum(o.expired and o.waits_for_shop for o in orders),
    }
    template = "orders/staff/_pickup_results.html"
    if not is_partial(request):
        template = "orders/staff/pickup_desk.html"
    return render(request, template, context)


@staff_required
@AT_A_SHOP
def pickup_collect(request, number: str):
    """Verify the pickup code (or the customer's identity, with a note) and hand the
    order over. A wrong code changes nothing and says so."""
    store = require_store(request)
    order = acting_order(request, number, "collect")
    status = 200
    collected = False
    form = CollectForm()
    scanned = {}
    if request.method != "POST":
        code, matches = _scanned_code(request, order)
        if matches is not None:
            form = CollectForm(initial={"code": code})
            scanned = {"scanned_code": code, "scanned_matches": matches}
    if request.method == "POST":
        form = CollectForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = collect_order(
                    order=order,
                    actor=request.user,
                    code=data["code"],
                    identity_checked=data["identity_checked"],
                    note=data["note"].strip(),
                    location=where(order, store, pickup=True),
                    approvals=given_approvals(request),
                )
            except ApprovalRequired as error:
                return ask_manager(request, error, wrapper_id="collect")
            except ApplicationError as error:
                add_service_error(form, error, explain=explain)
            else:
                collected = True
                if not is_partial(request):
                    messages.success(request, f"Order {order.number} collected.")
                    return redirect("staff:pickup_desk")
        if form.errors:
            status = INVALID
    return _collect_page(
        request, store, order, form=form, collected=collected, status=status, **scanned
    )


def _collect_page(request, store, order, *, form, collected=False, status=200, **extra):
    """The hand-over page (or its ``#collect`` partial) as the order is now."""
    order = order_or_404(order.number)
    _expiry_context(order, timezone.now())
    locked = order.pickup_locked_at is not None
    shop = where(order, store, pickup=True)
    taken = payments_taken(order.payments.all())
    context = {
        "store": store,
        "order": order,
        "lines": same_items_once(order.lines.all()),
        "paid": taken.paid,
        "taken": taken,
        # Never paid again here: the page says to cancel and sell at the counter.
        "hold_lapsed": bool(taken.lapsed) and order.status == OrderStatus.READY,
        "form": form,
        "collected": collected,
        "is_ready": order.status == OrderStatus.READY,
        "waits_for_shop": order.expired and waits_for_the_shop(order),
        "may_unlock": locked and may_unlock_pickup(request.user, shop),
        "unlock_form": extra.get("unlock_form") or UnlockForm(),
        "scanned_code": extra.get("scanned_code", ""),
        "scanned_matches": extra.get("scanned_matches"),
        "unlocked": extra.get("unlocked", False),
    }
    template = "orders/staff/_collect.html"
    if not is_partial(request):
        template = "orders/staff/pickup_collect.html"
    return render(request, template, context, status=status)


@staff_required
@require_POST
@AT_A_SHOP
def pickup_unlock(request, number: str):
    """Unlock an order locked after wrong pickup codes, saying why: a manager of the
    shop at once; an associate's request waits for a manager (their PIN on this
    device, or their queue) and is sent again with the approval."""
    store = require_store(request)
    order = acting_order(request, number, "collect")
    form = UnlockForm(request.POST)
    if form.is_valid():
        try:
            unlock_pickup(
                order=order,
                actor=request.user,
                location=where(order, store, pickup=True),
                note=form.cleaned_data["note"],
                approvals=given_approvals(request),
            )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id="collect")
        except ApplicationError as error:
            add_service_error(form, error, explain=explain)
        else:
            if not is_partial(request):
                messages.success(request, f"Order {order.number} unlocked.")
                return redirect("staff:pickup_collect", number=order.number)
            return _collect_page(
                request, store, order, form=CollectForm(), unlocked=True
            )
    return _collect_page(
        request, store, order, form=CollectForm(), unlock_form=form, status=INVALID
    )


@staff_required
@require_POST
@AT_A_SHOP
@never_cache
def pickup_slip(request, number: str):
    """The pickup code and its QR on a slip, for an order without an email: staff
    at its pickup shop's desk give them to the customer. Each showing is kept in the
    order's history (``show_pickup_code``); anything else is refused, saying why."""
    store = require_store(request)
    order = acting_order(request, number, "collect")
    try:
        show_pickup_code(order=order, actor=request.user, location=store)
    except ApplicationError as error:
        context = {"order": order, "refused": explain(error)}
        return render(request, "orders/staff/pickup_slip.html", context, status=INVALID)
    png = qr_png(pickup_qr_payload(order), scale=6)
    context = {
        "order": order,
        "shop": where(order, store, pickup=True),
        "lines": same_items_once(order.lines.all()),
        "qr": "data:image/png;base64," + base64.b64encode(png).decode(),
    }
    return render(request, "orders/staff/pickup_slip.html", context)
