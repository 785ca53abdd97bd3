"""*Not on our shelf*: units held for an order that the location holding them
cannot find. On the order's page, for the location that picks the part, a pickup
or a delivery (the pick rule of ``access``: another shop's part answers 404); on a
transfer's page, for the shop sending an order's transfer before it ships
(``transfer_not_on_shelf``). The units are written off and asked again elsewhere,
a delivery's whole parcel from one other location (``services.shortage``); when no
location can send them nothing changes, and the page says so and what to do."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from inventory.models import Transfer
from omnistore.accounts.scoping import shop_ids
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import current_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, redirect_to
from omnistore.staff.once import claim, give_back
from orders.models import FulfilmentMethod
from orders.selectors.access import sold_or_fulfilled_here
from orders.services.common import ORDER_REFERENCE
from orders.services.shortage import (
    held_for_transfer,
    held_on_shelf,
    on_shelf_here,
    report_not_on_shelf,
    report_not_sent,
)
from orders.staff.forms.shortage import NotOnShelfForm
from orders.staff.statuses import explain
from orders.staff.views.access import (
    acting_part,
    acting_shop,
    may_work_at,
    order_or_404,
    part_location,
)

TEMPLATE = "orders/staff/not_on_shelf.html"


def _shelf_of_order(request, number: str):
    """The order and the shop whose shelf is meant, as picking names it: the
    location posted or linked (``location``), else the shop picking it here."""
    if request.method == "POST":
        return acting_part(request, number, "pick")
    order = order_or_404(number)
    store = current_store(request)
    named = request.GET.get("location", "")
    place = (
        part_location(order, named, "pick")
        if named
        else acting_shop(request.user, order, store, "pick")
    )
    if place is None or not may_work_at(request.user, order, store, place, "pick"):
        raise Http404("No such order.")
    return order, place


def _submit(request, form, perform):
    """One service call for a valid form sent once; its refusal on the form."""
    if not (form.is_valid() and claim(request, form)):
        return None, None
    data = form.cleaned_data
    try:
        return perform(data), None
    except ApplicationError as error:
        give_back(request, form)
        add_service_error(
            form, error, {"line": "item"}, explain=explain, field_only=True
        )
        return None, error


@staff_required
def order_not_on_shelf(request, number: str):
    """Units held here for a pickup or a delivery cannot be found: which, how
    many, why."""
    order, shop = _shelf_of_order(request, number)
    form = NotOnShelfForm(request.POST or None, held=held_on_shelf(order, shop))
    refused = None
    if request.method == "POST":
        step, refused = _submit(
            request,
            form,
            lambda data: report_not_on_shelf(
                order=order,
                line_id=data["item"],
                units=data["units"],
                reason=data["reason"],
                location=shop,
                actor=request.user,
            ),
        )
        if step is not None:
            messages.success(
                request,
                f"Order {order.number}: written off at {shop.name}; {step}.",
            )
            return redirect_to(
                request, reverse("staff:order_detail", args=[order.number])
            )
    no_source = getattr(refused, "code", "") == "no_other_source"
    context = {
        "order": order,
        "location": shop,
        "form": form,
        "back": reverse("staff:order_detail", args=[order.number]),
        "back_label": f"Order {order.number}",
        "offer_cancel": no_source and sold_or_fulfilled_here(request.user, order),
        "parcel": any(
            f.method == FulfilmentMethod.DELIVERY and on_shelf_here(f, shop.pk)
            for f in order.fulfilments.all()
        ),
    }
    status = INVALID if request.method == "POST" else 200
    return render(request, TEMPLATE, context, status=status)


def _sent_transfer_or_404(request, pk: int) -> Transfer:
    """An order's transfer leaving one of the user's locations (HQ: any)."""
    transfer = (
        Transfer.objects.select_related("source", "destination")
        .filter(pk=pk, reference_type=ORDER_REFERENCE)
        .first()
    )
    ids = shop_ids(request.user)
    if transfer is None or (ids is not None and transfer.source_id not in ids):
        raise Http404("No such transfer.")
    return transfer


@staff_required
def transfer_not_on_shelf(request, pk: int):
    """Units an order's transfer was to take from this shop cannot be found."""
    transfer = _sent_transfer_or_404(request, pk)
    form = NotOnShelfForm(request.POST or None, held=held_for_transfer(transfer))
    refused = None
    if request.method == "POST":
        step, refused = _submit(
            request,
            form,
            lambda data: report_not_sent(
                transfer=transfer,
                variant_id=data["item"],
                units=data["units"],
                reason=data["reason"],
                actor=request.user,
            ),
        )
        if step is not None:
            messages.success(
                request,
                f"Transfer {transfer} closed short, nothing sent; order "
                f"{transfer.reference_id}: {step}.",
            )
            return redirect_to(
                request, reverse("staff:transfer_detail", args=[transfer.pk])
            )
    context = {
        "transfer": transfer,
        "location": transfer.source,
        "form": form,
        "back": reverse("staff:transfer_detail", args=[transfer.pk]),
        "back_label": f"Transfer {transfer}",
        "ship_instead": getattr(refused, "code", "") == "no_other_source",
    }
    status = INVALID if request.method == "POST" else 200
    return render(request, TEMPLATE, context, status=status)
