"""The picking list: a shop's orders to pick (a page of them, with the units to take
off the shelves), those picked and waiting for their next step here, those on the
way, and the warehouses' parts for whoever works them (``warehouses_worked``). A
step refused from the list shows the list again, the refused form on its card."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse

from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID
from orders.models import FulfilmentMethod, FulfilmentStatus, Order
from orders.selectors.access import acts_at
from orders.selectors.orders import orders_at_warehouses, warehouse_parts
from orders.selectors.work import awaiting_transfer, picked_here, picking_queue
from orders.staff.forms.orders import ShipForm
from orders.staff.views.access import warehouses_worked

# Orders to pick shown at once, oldest first: a busy shop's queue runs to hundreds.
PICKING_PAGE_SIZE = 50


def _shelf_lines(order: Order, store) -> list:
    """The lines this shop still takes off its own shelves for the order: its own
    part of an order split over several shops."""
    return [
        line
        for line in order.lines.all()
        if line.fulfilment is not None
        and line.fulfilment.status == FulfilmentStatus.PENDING
        and acts_at(line.fulfilment, store.pk, "pick")
    ]


def other_shops(order: Order, store) -> list[str]:
    """The other shops an order split over several still sends parts from."""
    return sorted(
        {
            f.location.name
            for f in order.fulfilments.all()
            if f.status not in (FulfilmentStatus.CANCELLED, FulfilmentStatus.SHIPPED)
            and f.method == FulfilmentMethod.DELIVERY
            and f.location_id != store.pk
        }
    )


def _next_step(order: Order, store) -> None:
    """A picked order's lines whose next step is at this shop (``shelf_lines``):
    a pickup here is handed over whole, a delivery leaves with this shop's part only;
    and where that part goes (``ship_to``)."""
    action = "ready" if order.fulfilment_method == FulfilmentMethod.PICKUP else "ship"
    here = {
        f.pk
        for f in order.fulfilments.all()
        if f.status == FulfilmentStatus.PICKED and acts_at(f, store.pk, action)
    }
    order.shelf_lines = [
        line for line in order.lines.all() if line.fulfilment_id in here
    ]
    order.ship_to = next(
        (f.address for f in order.fulfilments.all() if f.pk in here and f.address),
        None,
    )
    order.other_shops = other_shops(order, store)


def picking_context(request, store, *, page=None) -> dict:
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
        order.other_shops = other_shops(order, store)
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
        _next_step(order, store)
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
        **_warehouse_section(request.user, store),
        "section_size": PICKING_PAGE_SIZE,
        "ship_form": ShipForm(),
        "action_error": None,
    }


def _warehouse_section(user, store) -> dict:
    """The warehouses' parts waiting to be picked or shipped, for HQ and for staff
    given a warehouse (``warehouses_worked``): the oldest ``PICKING_PAGE_SIZE``
    orders, each with its parts there (``warehouse_parts``: the location, the step
    and the lines on its shelves). Nothing for anyone else."""
    ids = warehouses_worked(user, store)
    if ids == []:
        return {"warehouses_shown": False}
    every = orders_at_warehouses(location_ids=ids)
    orders = list(every[:PICKING_PAGE_SIZE])
    for order in orders:
        order.warehouse_parts = warehouse_parts(order, location_ids=ids)
        order.ship_to = next((f.address for f in order.fulfilments.all()), None)
    return {
        "warehouses_shown": True,
        "at_warehouses": orders,
        "at_warehouses_count": _count(orders, every),
    }


def _count(shown: list, every) -> int:
    """How many there are: the rows shown when the section holds them all (no
    query), else a count of the whole queryset."""
    return len(shown) if len(shown) < PICKING_PAGE_SIZE else every.count()


@staff_required
def picking(request):
    store = require_store(request)
    context = picking_context(request, store, page=request.GET.get("page"))
    return render(request, "orders/staff/picking.html", context)


def picking_refused(
    request, order: Order, error_message: str, *, ship_form=None, ship_at=None
):
    """The picking list again (the page the step was sent from), the refusal named
    by the order's number; a refused ``ship_form`` (of the part leaving from
    ``ship_at``) is shown on that part's card with what was typed and why."""
    store = require_store(request)
    context = picking_context(request, store, page=request.POST.get("page"))
    if ship_form is not None:
        _on_its_card(context, order.number, ship_at, ship_form)
    context["action_error"] = f"{order.number}: {error_message}"
    return render(request, "orders/staff/picking.html", context, status=INVALID)


def _on_its_card(context: dict, number: str, location_id, form) -> None:
    """Hand ``form`` to the card of the part it was sent for: this shop's own part
    (``to_ship``) or a warehouse's (``at_warehouses``); no query."""
    if location_id == context["store"].pk:
        for order in context["to_ship"]:
            if order.number == number:
                order.ship_form = form
    for order in context.get("at_warehouses", []):
        if order.number != number:
            continue
        for part in order.warehouse_parts:
            if part["location"].pk == location_id:
                part["ship_form"] = form
