"""The approval screens: the panel on the asking device (PIN, or wait for the
manager's own device), the manager's queue, and a manager's own PIN.

The asking device polls the request's status; when it is approved (by PIN here or
from the queue elsewhere) the answer carries the ``approval-granted`` event, and the
panel re-sends the original form with the approval's id, so the action goes through
as if submitted again, this time approved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from omnistore.approvals.forms import DecideForm, PinApproveForm, SetPinForm
from omnistore.approvals.models import (
    APPROVE_PERMISSION,
    Approval,
    ApprovalKind,
    ApprovalStatus,
)
from omnistore.approvals.selectors.approvals import (
    approval_queue as queue_for,
)
from omnistore.approvals.selectors.approvals import (
    approved_unused,
    can_approve,
    has_lapsed,
    is_pin_held,
    is_pin_locked,
    is_usable,
    own_requests_shown,
    pin_approvers,
    pin_of,
    recent_decisions,
)
from omnistore.approvals.services.approvals import (
    ApprovalRequired,
    approve_with_pin,
    cancel_approval,
    decide_approval,
    dismiss_refusal,
    request_approval,
)
from omnistore.approvals.services.pins import set_pin
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial, same_site

GRANTED_EVENT = "approval-granted"
# Sent once a waiting panel is on the screen: the screen's list of the associate's
# requests is asked again at once, leaving out what the panel shows.
ASKED_EVENT = "approval-asked"
WAITING = 202
# The waiting panels one screen shows at most, as far as its list is concerned.
PANELS_AT_MOST = 20


def _granted(response):
    response["HX-Trigger"] = GRANTED_EVENT
    return response


def _ids(values) -> list[int]:
    return [int(value) for value in values if is_digits(value) and len(value) < 19]


def given_approvals(request) -> list[int]:
    """The approvals the asking screen sends back with the original form."""
    return _ids(request.POST.getlist("approval"))


def _in_panels(request) -> list[int]:
    """The requests the screen shows in a waiting panel (``shown``, sent by htmx
    from the panels' own field with every request of the list of one's requests,
    its poll, withdraw and seen alike)."""
    shown = request.GET.getlist("shown") + request.POST.getlist("shown")
    return _ids(shown)[:PANELS_AT_MOST]


def _page_behind(request) -> str:
    """The page the panel sits on, for the way back once the request has ended:
    the one the panel carries, else the browser's page, else the dashboard."""
    return (
        same_site(request, request.POST.get("back") or request.GET.get("back"))
        or same_site(request, request.headers.get("HX-Current-URL"))
        or reverse("staff:dashboard")
    )


def ask_manager(
    request, error: ApprovalRequired, *, wrapper_id: str, leave_out: Iterable = ()
):
    """What an action's door answers when the move needs a manager: the request is
    recorded and the panel replaces the form (same element id), holding the form's
    fields to send again once approved (with the approvals already given, when
    a move needs more than one). The fields in ``leave_out`` are not held: a secret
    typed (a gift card's PIN) is never written back into the page."""
    approval = request_approval(ask=error.ask, requested_by=request.user)
    left_out = {"csrfmiddlewaretoken", *leave_out}
    resend = [
        (key, value)
        for key in request.POST
        if key not in left_out
        for value in request.POST.getlist(key)
    ]
    context = {
        "approval": approval,
        "wrapper_id": wrapper_id,
        "resend": resend,
        "resend_url": request.path,
        # a form posted without htmx leaves the browser on the action's own URL
        "back_url": same_site(request, request.headers.get("HX-Current-URL"))
        or same_site(request, request.headers.get("Referer"))
        or reverse("staff:dashboard"),
        "pin_form": PinApproveForm(managers=pin_approvers(approval.location)),
        "granted_event": GRANTED_EVENT,
    }
    template = "approvals/_ask.html" if is_partial(request) else "approvals/ask.html"
    response = render(request, template, context, status=WAITING)
    response["HX-Trigger-After-Settle"] = ASKED_EVENT
    return response


def _own_request(request, pk: int) -> Approval:
    """The asking device sees its own requests only; anything else is a 404."""
    approval = (
        Approval.objects.select_related("decided_by", "location")
        .filter(pk=pk, requested_by=request.user)
        .first()
    )
    if approval is None:
        raise Http404("No such approval.")
    return approval


@staff_required
def approval_status(request, pk: int):
    """Polled by the asking device while it waits. A yes past its time is
    expired, as the move would find it: the screen does not go on with it."""
    approval = _own_request(request, pk)
    now = timezone.now()
    expired = has_lapsed(approval, now=now)
    context = {
        "approval": approval,
        "expired": expired,
        "back_url": _page_behind(request),
        "replace_panel": True,
    }
    response = render(request, "approvals/_status.html", context)
    return _granted(response) if is_usable(approval, now=now) else response


@staff_required
@require_POST
def approval_pin(request, pk: int):
    """The manager's PIN typed on the asking device: tried only for a request still
    waiting (the service refuses any other before looking at the PIN)."""
    approval = _own_request(request, pk)
    form = PinApproveForm(request.POST, managers=pin_approvers(approval.location))
    if form.is_valid():
        try:
            approval = approve_with_pin(
                approval=approval,
                manager=form.cleaned_data["manager"],
                pin=form.cleaned_data["pin"],
                actor=request.user,
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            context = {"approval": approval, "expired": False}
            return _granted(render(request, "approvals/_pin_done.html", context))
    form.data = form.data.copy()
    form.data["pin"] = ""
    context = {"approval": approval, "pin_form": form}
    return render(request, "approvals/_pin.html", context, status=INVALID)


@staff_required
@require_POST
def approval_cancel(request, pk: int):
    """The associate stops waiting: the panel says so and offers the way back to
    the page it sits on, where the original form is whole again."""
    approval = cancel_approval(approval=_own_request(request, pk), actor=request.user)
    context = {
        "approval": approval,
        "withdrawn": approval.status == ApprovalStatus.WITHDRAWN,
        "back_url": _page_behind(request),
        "replace_panel": True,
    }
    return render(request, "approvals/_status.html", context)


def _kinds(request) -> list[str] | None:
    """The kinds of request a page lists (``?kind=...``, any number); None when
    one is not a kind."""
    kinds = request.GET.getlist("kind")
    return None if set(kinds) - set(ApprovalKind.values) else kinds


def _render_mine(request, *, withdrawn: Approval | None = None, error: str = ""):
    store = require_store(request)
    kinds = _kinds(request)
    if kinds is None:
        return HttpResponseBadRequest("Unknown kind of request.")
    shown = own_requests_shown(
        request.user, store, kinds=kinds, in_panels=_in_panels(request)
    )
    context = {
        "requests": list(shown),
        "query": "&".join(f"kind={kind}" for kind in kinds),
        "asked_event": ASKED_EVENT,
        "withdrawn": withdrawn,
        "error": error,
    }
    template = "approvals/_mine.html" if is_partial(request) else "approvals/mine.html"
    return render(request, template, context, status=INVALID if error else 200)


def _back_to_mine(request):
    query = request.GET.urlencode()
    return redirect(reverse("staff:approval_mine") + (f"?{query}" if query else ""))


@staff_required
def my_requests(request):
    """The associate's own requests at this shop: those still open, each to
    withdraw, and those a manager refused lately, with the note, until dismissed.
    A page of its own, and the part a counter screen loads for its kinds of request
    (``?kind=price_override``) to show them there after a reload; there it leaves
    out a request the screen shows in its waiting panel (``shown``), where the
    associate acts on it, so that it is not listed twice."""
    return _render_mine(request)


@staff_required
@require_POST
def approval_seen(request, pk: int):
    """The associate dismisses a manager's refusal they have read; the list comes
    back without it."""
    error = ""
    try:
        dismiss_refusal(approval=_own_request(request, pk), actor=request.user)
    except ApplicationError as refused:
        error = refused.message
    if not is_partial(request):
        if error:
            messages.error(request, error)
        return _back_to_mine(request)
    return _render_mine(request, error=error)


@staff_required
@require_POST
def approval_withdraw(request, pk: int):
    """Withdraw one of the list's requests; the list comes back without it."""
    approval = cancel_approval(approval=_own_request(request, pk), actor=request.user)
    withdrawn = approval if approval.status == ApprovalStatus.WITHDRAWN else None
    if not is_partial(request):
        if withdrawn is not None:
            messages.success(request, "You withdrew the request; nothing was changed.")
        return _back_to_mine(request)
    return _render_mine(request, withdrawn=withdrawn)


def _require_approver(request) -> None:
    if not request.user.has_perm(APPROVE_PERMISSION):
        raise Http404("Only managers approve.")


def _queue_context(request) -> dict:
    now = timezone.now()
    queue = list(queue_for(request.user, now=now))
    unused = list(approved_unused(request.user, now=now))
    decided = list(recent_decisions(request.user, now=now))
    state = [("w", a.pk) for a in queue] + [(a.status, a.pk) for a in unused + decided]
    return {
        "queue": queue,
        "unused": unused,
        "decided": decided,
        "decide_form": DecideForm(),
        "seen": hashlib.blake2s(repr(state).encode(), digest_size=8).hexdigest(),
    }


@staff_required
def approval_queue(request):
    """The manager's own device: what waits at their shops, refreshed by polling.
    A poll that finds the lists as the page shows them (``seen``) gets 204 and
    the page stays as it is, a note being typed included."""
    _require_approver(request)
    context = _queue_context(request)
    if is_partial(request):
        if request.GET.get("seen") == context["seen"]:
            return HttpResponse(status=204)
        return render(request, "approvals/_queue.html", context)
    context["has_pin"] = pin_of(request.user) is not None
    return render(request, "approvals/queue.html", context)


@staff_required
@require_POST
def approval_decide(request, pk: int):
    """Approve or refuse from the queue; the list comes back refreshed."""
    _require_approver(request)
    approval = Approval.objects.filter(pk=pk).only("location_id").first()
    if approval is None or not can_approve(request.user, approval.location_id):
        raise Http404("No such approval.")
    form = DecideForm(request.POST)
    error = None
    if form.is_valid():
        try:
            decide_approval(
                approval=pk,
                approver=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ApplicationError as refused:
            error = refused.message
    else:
        error = next(iter(form.errors.values()))[0]
    context = _queue_context(request)
    context["error"] = error
    if not is_partial(request):
        if error:
            messages.error(request, error)
        return redirect("staff:approval_queue")
    return render(
        request, "approvals/_queue.html", context, status=INVALID if error else 200
    )


@staff_required
def my_pin(request):
    """A manager sets or changes their approval PIN, and reads whether it is
    locked: for a while after wrong tries, or until HQ lifts it."""
    _require_approver(request)
    form = SetPinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            set_pin(user=request.user, pin=form.cleaned_data["pin"])
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your approval PIN is set.")
            return redirect("staff:approval_queue")
    status = INVALID if form.errors else 200
    pin = pin_of(request.user)
    held = pin is not None and is_pin_held(pin)
    locked = pin is not None and is_pin_locked(pin, now=timezone.now())
    context = {"form": form, "pin": pin, "held": held, "locked": locked and not held}
    return render(request, "approvals/my_pin.html", context, status=status)
