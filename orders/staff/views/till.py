"""The till at the counter: the device's register, opening with a float, cash in and
out, the close against a count (a manager approves an over/short beyond the
tolerance, through the approvals panel) and the Z report.

The register is the device's: chosen once and kept in the session, like the shop;
a shop with one register needs no choice. A warehouse has no till: these pages say so.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from omnistore.accounts.scoping import manages
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import require_store, shop_only, staff_required
from omnistore.staff.htmx import (
    INVALID,
    add_service_error,
    is_partial,
    redirect_to,
    same_site,
)
from omnistore.staff.once import claim, give_back
from orders.models import Register
from orders.selectors.till import (
    expected_cash,
    open_session_of,
    register_at,
    session_movements,
    shop_registers,
    shop_sessions,
    till_currency,
    till_lines,
    till_session,
    z_report,
)
from orders.services.till import (
    at_counter,
    close_till,
    move_cash,
    open_till,
)
from orders.staff.forms.till import (
    CashMoveForm,
    CloseForm,
    CountForm,
    RegisterForm,
)

REGISTER_KEY = "till_register_id"
AT_A_SHOP = shop_only("The till")  # a warehouse has none


def device_register(request, store) -> Register | None:
    """The register this device uses: the one it chose, or the shop's only one."""
    return _device_register(request, store)[0]


def _device_register(request, store) -> tuple[Register | None, bool]:
    """The device's register, and whether it has to choose one (the shop has more
    than one and it chose none): one query, none more for the choice."""
    register = register_at(store, request.session.get(REGISTER_KEY))
    if register is not None:
        return register, False
    registers = list(shop_registers(store)[:2])
    return (registers[0] if len(registers) == 1 else None), len(registers) > 1


def device_counter(request, store):
    """The scope a desk's refund or cancellation runs in: money given back at
    ``store`` goes through this device's register (``at_counter``)."""
    if store is None:
        return nullcontext()
    return at_counter(location=store, register=device_register(request, store))


def register_choice(request, store) -> RegisterForm | None:
    """The register chooser a counter screen shows before taking a payment: at a
    shop with more than one register, until this device has chosen."""
    _, to_choose = _device_register(request, store)
    return RegisterForm(registers=shop_registers(store)) if to_choose else None


def _page(request, store, *, status=200, **forms_):
    """The till page (the panel alone for HTMX): the device's session, its ledger
    and the forms that apply."""
    registers = shop_registers(store)
    register = device_register(request, store)
    session = open_session_of(register)
    context = {
        "store": store,
        "register": register,
        "has_registers": register is not None or registers.exists(),
        # One register is the device's without asking; a refused choice shows why.
        "choose_register": registers.count() > 1 or "register_form" in forms_,
        "session": session,
        "register_form": forms_.get("register_form")
        or RegisterForm(registers=registers, initial={"register": register}),
        "open_form": forms_.get("open_form")
        or CountForm(currency=till_currency(store)),
        "move_form": forms_.get("move_form") or CashMoveForm(),
        "movements": till_lines(session_movements(session)) if session else [],
        "expected": expected_cash(session) if session else None,
        "recent": shop_sessions(store),
        "errors": forms_.get("errors", []),
    }
    template = (
        "orders/staff/till/_panel.html"
        if is_partial(request)
        else "orders/staff/till/till.html"
    )
    return render(request, template, context, status=status)


def _done(request):
    return redirect_to(request, reverse("staff:till"))


@staff_required
@AT_A_SHOP
def till(request):
    return _page(request, require_store(request))


@staff_required
@require_POST
@AT_A_SHOP
def till_register(request):
    store = require_store(request)
    form = RegisterForm(request.POST, registers=shop_registers(store))
    if not form.is_valid():
        return _page(request, store, register_form=form, status=INVALID)
    request.session[REGISTER_KEY] = form.cleaned_data["register"].pk
    back = same_site(request, request.POST.get("next"))  # the sale that asked
    return redirect_to(request, back) if back else _done(request)


@staff_required
@require_POST
@AT_A_SHOP
def till_open(request):
    store = require_store(request)
    form = CountForm(request.POST, currency=till_currency(store))
    register = device_register(request, store)
    if form.is_valid():
        if register is None:
            form.add_error(None, "Choose the register of this device first.")
        else:
            try:
                open_till(
                    register=register,
                    counts=form.cleaned_data["counts"],
                    actor=request.user,
                )
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                return _done(request)
    return _page(request, store, open_form=form, status=INVALID)


def _device_session(request, store):
    session = open_session_of(device_register(request, store))
    if session is None:
        raise Http404("The till is not open on this register.")
    return session


@staff_required
@require_POST
@AT_A_SHOP
def till_cash(request):
    """Cash in or out of the drawer, with the reason."""
    store = require_store(request)
    session = _device_session(request, store)
    form = CashMoveForm(request.POST)
    if form.is_valid() and claim(request, form):
        try:
            move_cash(session=session, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            give_back(request, form)
            add_service_error(form, error, field_only=True)
        else:
            return _done(request)
    return _page(request, store, move_form=form, status=INVALID)


@staff_required
@AT_A_SHOP
def till_close(request):
    """Count the drawer and close: expected vs counted, over/short."""
    store = require_store(request)
    session = _device_session(request, store)
    form = CloseForm(
        request.POST if request.method == "POST" else None, currency=session.currency
    )
    status, waiting_payment = 200, ""
    if request.method == "POST":
        if form.is_valid():
            try:
                closed = close_till(
                    session=session,
                    counts=form.cleaned_data["counts"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                    approvals=given_approvals(request),
                )
            except ApprovalRequired as error:
                return ask_manager(request, error, wrapper_id="till-close")
            except ApplicationError as error:
                add_service_error(form, error)
                # A card payment out for this till: its screen, to follow or cancel.
                waiting_payment = (error.extra or {}).get("terminal_payment", "")
            else:
                return redirect_to(
                    request, reverse("staff:till_report", args=[closed.pk])
                )
        status = INVALID
    context = {
        "store": store,
        "session": session,
        "form": form,
        "expected": expected_cash(session),
        "waiting_payment": waiting_payment,
    }
    template = (
        "orders/staff/till/_close_form.html"
        if is_partial(request)
        else "orders/staff/till/close.html"
    )
    return render(request, template, context, status=status)


def _may_read_report(user, session, store) -> bool:
    """A session of this shop's tills, or of any shop the user manages (the manager
    pages list the day's sessions of all their shops); another shop's is 404."""
    shop = session.register.location_id
    return shop == store.pk or manages(user, shop)


@staff_required
def till_report(request, session_id: int):
    """The Z report of a session, printable on an 80 mm receipt. It only reads:
    a manager opens it from any location, and the till's actions (open, cash,
    close) stay with the device's own register at its shop."""
    store = require_store(request)
    session = till_session(session_id)
    if session is None or not _may_read_report(request.user, session, store):
        raise Http404("No such till session.")
    context = {
        "store": store,
        "report": z_report(session),
        "session": session,
    }
    return render(request, "orders/staff/till/z_report.html", context)
