"""Staff transfer screens: the list, asking for stock, and a transfer's steps (ship,
receive, cancel, close short), with the dashboard card of transfers to handle.

Shop staff act on their own shop's transfers; HQ acts at the shop chosen in the header
and may ship, receive or cancel any transfer (warehouses have no staff of their own).
A transfer outside someone's reach is answered with 404, as if it did not exist. A
transfer an order waits for is cancelled with its order, never here.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from inventory import selectors
from inventory.models import Transfer, TransferStatus
from inventory.services.transfers import (
    cancel_transfer,
    close_transfer_short,
    receive_transfer,
    request_transfer,
    ship_transfer,
)
from inventory.signals import purpose_of
from inventory.staff.forms import (
    TransferReceiveForm,
    TransferRequestForm,
    explain_refusal,
    parse_transfer_lines,
)
from omnistore.accounts.scoping import shop_ids
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import (
    require_store,
    staff_required,
    visible_locations,
)
from omnistore.staff.htmx import (
    INVALID,
    add_service_error,
    is_partial,
    redirect_to,
    render_invalid,
)
from omnistore.staff.once import SentOnceForm, claim, give_back
from omnistore.staff.panels import dashboard_panels, register

# --- transfers ------------------------------------------------------------------------

# A transfer an order's sourcing requested (``Transfer.reference_type``): the goods of
# a customer's order, who waits for them at the destination.
ORDER_REFERENCE = "order"


def _transfer_scope(user):
    """Location ids whose transfers a user may see; None means every location."""
    ids = shop_ids(user)
    return None if ids is None else sorted(ids)


def order_number(transfer: Transfer) -> str:
    """The number of the order a transfer brings goods for ("" for none)."""
    if transfer.reference_type != ORDER_REFERENCE:
        return ""
    return transfer.reference_id


def _may(user, transfer: Transfer, action: str) -> bool:
    if action == "cancel" and order_number(transfer):
        return False  # cancelled with its order, never from the stock screens
    ids = shop_ids(user)
    if ids is None:
        return True
    if action == "ship":
        return transfer.source_id in ids
    if action == "receive":
        return transfer.destination_id in ids
    return bool(ids & {transfer.source_id, transfer.destination_id})


def _transfer_or_404(request, pk: int, action: str | None = None) -> Transfer:
    transfer = selectors.transfer_detail(
        pk=pk, location_ids=_transfer_scope(request.user)
    )
    if transfer is None or (action and not _may(request.user, transfer, action)):
        raise Http404("No such transfer.")
    return transfer


@staff_required
def transfer_list(request):
    user = request.user
    store = require_store(request)
    show = "all" if request.GET.get("show") == "all" else "open"
    location, locations = store, None
    if user.sees_all_stores:
        locations = selectors.active_locations()
        chosen = request.GET.get("location", "")
        if chosen == "all":
            location = None
        elif is_digits(chosen):
            location = locations.filter(pk=int(chosen)).first() or store
    transfers = selectors.transfer_list(location=location, open_only=show == "open")
    page = Paginator(transfers, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/staff/transfer_list.html",
        {
            "page": page,
            "location": location,
            "locations": locations,
            "show": show,
            "open_statuses": selectors.OPEN_TRANSFER_STATUSES,
        },
    )


LINES_PREFILL_MAX = 2000


def _transfer_choices(user, store, direction: str) -> dict:
    """Where a transfer may leave from and go to. A shop sends its own stock to
    another location ("out"), or asks another location for stock ("in"); the shop is
    never offered as the other end."""
    others = selectors.active_locations().exclude(pk=store.pk)
    if direction == "in":
        here = selectors.active_locations().filter(pk=store.pk)
        return {"sources": others, "destinations": here}
    if user.sees_all_stores:  # HQ moves stock between any two locations
        everywhere = selectors.active_locations()
        return {"sources": everywhere, "destinations": everywhere}
    return {"sources": visible_locations(user), "destinations": others}


def _richest_source(lines: str, choices: dict):
    """The location offered first when a link asks for these lines: the one with the
    most units free of them (None, a choice left to the associate, when they do
    not parse)."""
    try:
        wanted = parse_transfer_lines(lines)
    except ValidationError:
        return None
    return selectors.best_source(
        variants=[variant for variant, _ in wanted], sources=choices["sources"]
    )


@staff_required
def transfer_create(request):
    store = require_store(request)
    user = request.user
    data = request.POST if request.method == "POST" else request.GET
    direction = "in" if data.get("direction") == "in" else "out"
    form_kwargs = _transfer_choices(user, store, direction)
    status = 200
    if request.method == "POST":
        form = TransferRequestForm(request.POST, **form_kwargs)
        if form.is_valid() and claim(request, form):
            data = form.cleaned_data
            try:
                transfer = request_transfer(
                    source=data["source"],
                    destination=data["destination"],
                    lines=data["lines"],
                    actor=user,
                    note=data["note"],
                )
            except ApplicationError as error:
                give_back(request, form)
                add_service_error(
                    form, error, {"quantity": "lines"}, explain=explain_refusal
                )
            else:
                messages.success(
                    request,
                    f"Transfer {transfer} requested from {transfer.source.name} to "
                    f"{transfer.destination.name}; the units are reserved at the "
                    "source.",
                )
                return redirect_to(
                    request, reverse("staff:transfer_detail", args=[transfer.pk])
                )
        status = INVALID
    else:
        initial = (
            {"destination": store.pk} if direction == "in" else {"source": store.pk}
        )
        # Lines handed over by a link (the Low stock page's "Ask for stock"): only
        # shown in the field, read and checked when the form is sent.
        initial["lines"] = request.GET.get("lines", "")[:LINES_PREFILL_MAX]
        if direction == "in" and initial["lines"]:
            initial["source"] = _richest_source(initial["lines"], form_kwargs)
        form = TransferRequestForm(initial=initial, **form_kwargs)
    fixed_source = None if user.sees_all_stores or direction == "in" else store
    context = {
        "form": form,
        "store": store,
        "direction": direction,
        "fixed_source": fixed_source,
        "fixed_destination": store if direction == "in" else None,
    }
    template = "inventory/staff/_transfer_form.html"
    if not is_partial(request):
        template = "inventory/staff/transfer_form.html"
    return render(request, template, context, status=status)


def _detail_context(request, transfer: Transfer, **extra) -> dict:
    user = request.user
    can_receive = transfer.status in {
        TransferStatus.IN_TRANSIT,
        TransferStatus.PARTIALLY_RECEIVED,
    } and _may(user, transfer, "receive")
    requested = transfer.status == TransferStatus.REQUESTED
    labels = dict(TransferStatus.choices)
    events = list(transfer.events.all())
    for event in events:
        event.from_label = labels.get(event.from_status, event.from_status)
        event.to_label = labels.get(event.to_status, event.to_status)
    context = {
        "transfer": transfer,
        "lines": list(transfer.lines.all()),
        "events": events,
        "can_ship": requested and _may(user, transfer, "ship"),
        "can_cancel": requested and _may(user, transfer, "cancel"),
        "order_number": order_number(transfer),
        # What its units are for now, as its order answers (``purpose_of``): waited
        # for on this transfer or on the one that asked again for what it did not
        # bring, handed over already, or free stock (the order cancelled).
        "purpose": purpose_of(transfer) if order_number(transfer) else None,
        "receive_form": TransferReceiveForm(transfer=transfer) if can_receive else None,
        "action_error": None,
    }
    context.update(extra)
    return context


@staff_required
def transfer_detail(request, pk: int):
    transfer = _transfer_or_404(request, pk)
    return render(
        request,
        "inventory/staff/transfer_detail.html",
        _detail_context(request, transfer),
    )


def _already(request, transfer: Transfer, said: str):
    """A step the transfer had already taken (a double tap, a colleague's tap): said
    so, not refused. ``said`` follows the transfer's name as written."""
    messages.info(request, f"Transfer {transfer}{said}.")
    return redirect_to(request, reverse("staff:transfer_detail", args=[transfer.pk]))


def _transfer_step(
    request, transfer: Transfer, *, service, done: str, already: str, reached
):
    """Ship or cancel: one button, one service call. A step already taken says so
    (``reached`` tells, from the transfer read again, whether it was); any other
    refusal is shown on the page."""
    pk = transfer.pk
    note = request.POST.get("note", "").strip()[:250]
    try:
        service(transfer=transfer, actor=request.user, note=note)
    except ApplicationError as error:
        transfer = _transfer_or_404(request, pk)
        if reached(transfer):
            return _already(request, transfer, already)
        context = _detail_context(request, transfer, action_error=error.message)
        return render_invalid(request, "inventory/staff/transfer_detail.html", context)
    messages.success(request, f"Transfer {transfer} {done}.")
    return redirect_to(request, reverse("staff:transfer_detail", args=[transfer.pk]))


@staff_required
@require_POST
def transfer_ship(request, pk: int):
    transfer = _transfer_or_404(request, pk, "ship")
    return _transfer_step(
        request,
        transfer,
        service=ship_transfer,
        done="shipped",
        already=" was already shipped",
        reached=lambda transfer: (
            transfer.status not in (TransferStatus.REQUESTED, TransferStatus.CANCELLED)
        ),
    )


@staff_required
@require_POST
def transfer_cancel(request, pk: int):
    """Cancel a transfer not yet shipped. One an order waits for is refused here: it
    is cancelled with the order, from the order's page."""
    transfer = _transfer_or_404(request, pk)
    number = order_number(transfer)
    if number:
        message = (
            f"Transfer {transfer} brings the goods of order {number}, whose customer "
            "waits for them: it is cancelled with the order, from the order's page, "
            "not here."
        )
        context = _detail_context(request, transfer, action_error=message)
        return render_invalid(request, "inventory/staff/transfer_detail.html", context)
    if not _may(request.user, transfer, "cancel"):
        raise Http404("No such transfer.")
    return _transfer_step(
        request,
        transfer,
        service=cancel_transfer,
        done="cancelled",
        already=" was already cancelled",
        reached=lambda transfer: transfer.status == TransferStatus.CANCELLED,
    )


@staff_required
@require_POST
def transfer_close(request, pk: int):
    """Close a transfer short: the units still missing will not come (with a reason)."""
    transfer = _transfer_or_404(request, pk, "receive")
    try:
        close_transfer_short(
            transfer=transfer,
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as error:
        context = _detail_context(request, transfer, action_error=error.message)
        return render_invalid(request, "inventory/staff/transfer_detail.html", context)
    messages.success(request, f"Transfer {transfer} closed short.")
    return redirect_to(request, reverse("staff:transfer_detail", args=[transfer.pk]))


@staff_required
@require_POST
def transfer_receive(request, pk: int):
    """Book what arrived. A receipt sent twice (a double tap, a resent request: its
    ``once`` token already taken), or sent when the transfer has been received
    meanwhile, books nothing and says so. The token is claimed before the
    quantities are checked: they are checked against what is still outstanding,
    which the first sending of the same form has just lowered."""
    transfer = _transfer_or_404(request, pk, "receive")
    if transfer.status == TransferStatus.RECEIVED:
        return _already(request, transfer, " was already received")
    token = SentOnceForm(request.POST)
    if token.is_valid() and not claim(request, token):
        return _already(request, transfer, ": this receipt was already booked")
    form = TransferReceiveForm(request.POST, transfer=transfer)
    if not form.is_valid():
        give_back(request, form)  # corrected, the same form is sent again
    else:
        try:
            transfer = receive_transfer(
                transfer=transfer,
                quantities=form.quantities,
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            give_back(request, form)
            if _transfer_or_404(request, pk).status == TransferStatus.RECEIVED:
                return _already(request, transfer, " was already received")
            add_service_error(
                form, error, form.service_field_map, explain=explain_refusal
            )
        else:
            received = sum(form.quantities.values())
            messages.success(
                request,
                f"Received {received} unit{pluralize(received)} on transfer {transfer} "
                f"({transfer.get_status_display().lower()}).",
            )
            return redirect_to(
                request, reverse("staff:transfer_detail", args=[transfer.pk])
            )
    if is_partial(request):
        return render_invalid(
            request,
            "inventory/staff/_transfer_receive.html",
            {"transfer": transfer, "receive_form": form},
        )
    context = _detail_context(request, transfer, receive_form=form)
    return render_invalid(request, "inventory/staff/transfer_detail.html", context)


# --- dashboard ------------------------------------------------------------------------


def transfers_panel(request, store) -> dict:
    """Dashboard card: transfers this shop must ship or receive (one query)."""
    if store is None:
        return {}
    return {"transfers_awaiting": selectors.transfers_awaiting(location=store)}


register(dashboard_panels, transfers_panel)
