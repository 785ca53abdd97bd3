"""Staff stock screens: lookup across locations, and receive / adjust / count at the
shop (transfers between locations: ``inventory.staff.transfers``).

Shop staff act only at their own shop; HQ acts at the shop chosen in the header.
Items are priced as that shop sells them: its market's shelf price in its currency,
what the sale there rings up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render

from inventory import search, selectors
from inventory.markets import ShelfPrice, shelf_prices_at
from inventory.models import Location, StockLevel, Variant
from inventory.services.stock import adjust_stock, count_stock, receive_stock
from inventory.staff.forms import (
    AdjustStockForm,
    CountStockForm,
    ReceiveStockForm,
    explain_refusal,
    own_location,
)
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import (
    current_store,
    require_store,
    staff_required,
)
from omnistore.staff.htmx import (
    INVALID,
    add_service_error,
    is_partial,
    same_site,
)
from omnistore.staff.once import SentOnceForm, claim, give_back

LOOKUP_LIMIT = 25
FIND_LIMIT = 30


# --- prices ---------------------------------------------------------------------------


def _prices_here(store: Location | None, variants) -> dict[int, ShelfPrice]:
    """Each variant's price at ``store``, by variant id: its market's shelf price in
    the market's currency, what a sale there rings up (no shop chosen, or one
    outside every market: the catalogue's in the home currency). One query for a
    market with its own price list, however many variants; none otherwise."""
    return shelf_prices_at(store, variants)


def _priced_here(store: Location | None, variants: list[Variant]) -> list[Variant]:
    """The variants, each with ``shop_price`` (a ``ShelfPrice``) at ``store``."""
    prices = _prices_here(store, variants)
    for variant in variants:
        variant.shop_price = prices[variant.pk]
    return variants


def _price_text(price: ShelfPrice) -> str:
    if price.amount is None:
        return f"not priced in {price.currency}"
    return f"{price.amount} {price.currency}"


# --- lookup ---------------------------------------------------------------------------


def _exact_hit(query: str, variants):
    if len(variants) != 1 or not query:
        return None
    variant = variants[0]
    if variant.barcode == query or variant.sku.lower() == query.lower():
        return variant
    return None


@staff_required
def stock_lookup(request):
    """Search by name, SKU or barcode. A scanner types the code and Enter: an exact hit
    submitted as a page goes straight to the item; live (HTMX) results never jump."""
    store = current_store(request)
    query = request.GET.get("q", "").strip()
    variants = search.variant_search(query=query, limit=LOOKUP_LIMIT + 1)
    more = len(variants) > LOOKUP_LIMIT
    variants = variants[:LOOKUP_LIMIT]
    exact = _exact_hit(query, variants)
    if exact is not None and not is_partial(request):
        return redirect("staff:stock_variant", pk=exact.pk)
    variants = _priced_here(store, variants)
    availability = selectors.availability_here_and_elsewhere(
        variant_ids=[v.pk for v in variants], location=store
    )
    prefetch_related_objects([v.product for v in variants], selectors.images_prefetch())
    context = {
        "q": query,
        "results": [(v, *availability[v.pk]) for v in variants],
        "exact": exact,
        "limit": LOOKUP_LIMIT,
        "more": more,
    }
    template = "inventory/staff/_lookup_results.html"
    if not is_partial(request):
        template = "inventory/staff/lookup.html"
    return render(request, template, context)


@staff_required
def stock_variant(request, pk: int):
    store = current_store(request)
    variant = selectors.variant_detail(pk=pk)
    if variant is None:
        raise Http404("No such item.")
    prefetch_related_objects([variant.product], selectors.images_prefetch())
    here, others = None, []
    for level in selectors.levels_for_variant(variant=variant):
        if store is not None and level.location_id == store.pk:
            here = level
        else:
            distance = None
            if store is not None:
                distance = round(
                    selectors.haversine_km(
                        store.latitude,
                        store.longitude,
                        level.location.latitude,
                        level.location.longitude,
                    ),
                    1,
                )
            others.append((level, distance))
    # Where a customer can be sent: locations with stock first, nearest first.
    others.sort(
        key=lambda row: (row[0].available <= 0, row[1] or 0, row[0].location.name)
    )
    if store is not None and here is None:
        here = StockLevel(variant=variant, location=store)
    movements = (
        selectors.recent_movements(variant=variant, location=store) if store else []
    )
    return render(
        request,
        "inventory/staff/variant.html",
        {
            "variant": variant,
            "here": here,
            "others": others,
            "movements": movements,
            "elsewhere_available": sum(max(lvl.available, 0) for lvl, _ in others),
            "grid": selectors.size_colour_grid(variant=variant, location=store),
            "price": _prices_here(store, [variant])[variant.pk],
        },
    )


# --- codes and names: what the scanning screens look up --------------------------------
# A code is looked up before anything is sent on screens that select an item first
# (the associate sees the item and types the units, and only then confirms); a
# customer who names what they want is served by find by name.


@staff_required
def stock_code(request):
    """The item a SKU or barcode names (JSON), or 404 with the message to show."""
    code = request.GET.get("code", "").strip()[:64]
    variant = selectors.variant_by_code(code=code) if code else None
    if variant is None:
        return JsonResponse(
            {"message": f"No item with SKU or barcode “{code}”.", "code": code},
            status=404,
        )
    return JsonResponse(
        {
            "sku": variant.sku,
            "barcode": variant.barcode or "",
            "name": variant.name,
            "price": _price_text(
                _prices_here(current_store(request), [variant])[variant.pk]
            ),
        }
    )


@staff_required
def stock_find(request):
    """Items by name, colour and size for a customer who names what they want; each
    result puts its SKU into the scan field named by ``for``, as if it was scanned.
    Sent as a page (no JavaScript), the results are a page of their own: each item
    opens its page (sizes, stock, add to a sale), and a link leads back (``back``)."""
    query = request.GET.get("q", "").strip()[:100]
    target = request.GET.get("for", "")[:40]
    store = current_store(request)
    variants = _priced_here(store, search.find_variants(query=query, limit=FIND_LIMIT))
    availability = selectors.availability_here_and_elsewhere(
        variant_ids=[v.pk for v in variants], location=store
    )
    context = {
        "q": query,
        "target": target,
        "results": [(v, *availability[v.pk]) for v in variants],
        "limit": FIND_LIMIT,
    }
    if is_partial(request):
        return render(request, "inventory/staff/_find_results.html", context)
    prefetch_related_objects([v.product for v in variants], selectors.images_prefetch())
    context["more"] = len(variants) >= FIND_LIMIT
    context["back"] = same_site(request, request.GET.get("back"))
    return render(request, "inventory/staff/find.html", context)


# --- receive, adjust, count at this shop ----------------------------------------------


@dataclass(frozen=True)
class StockOperation:
    url_name: str
    title: str
    intro: str
    button: str
    form_class: type
    perform: Callable[..., StockLevel]
    describe: Callable[[dict], str]
    # scan.js: "add" sends each scan at once; "select" picks the item, then the units.
    scan_mode: str = "select"
    # The units of the item held for customers here, shown once it is chosen.
    shows_held: bool = False


def _receive(data, *, location, actor) -> StockLevel:
    return receive_stock(
        variant=data["code"],
        location=location,
        quantity=data["quantity"],
        actor=actor,
        note=data["note"],
    )


def _adjust(data, *, location, actor) -> StockLevel:
    return adjust_stock(
        variant=data["code"],
        location=location,
        delta=data["delta"],
        reason=data["reason"],
        note=data["note"],
        actor=actor,
    )


def _count(data, *, location, actor) -> StockLevel:
    return count_stock(
        variant=data["code"],
        location=location,
        counted=data["counted"],
        actor=actor,
        note=data["note"],
    )


RECEIVE = StockOperation(
    url_name="staff:stock_receive",
    title="Receive stock",
    intro="Goods delivered to this shop: scan each item, or type its SKU and units.",
    button="Receive",
    form_class=ReceiveStockForm,
    perform=_receive,
    describe=lambda d: f"Received {d['quantity']} × {d['code'].sku}.",
    scan_mode="add",
)
ADJUST = StockOperation(
    url_name="staff:stock_adjust",
    title="Adjust stock",
    intro="Correct the units on hand (found, lost, damaged), always with a reason. "
    "Units reserved for customers cannot be removed.",
    button="Adjust",
    form_class=AdjustStockForm,
    perform=_adjust,
    describe=lambda d: f"Adjusted {d['code'].sku} by {d['delta']:+d} ({d['reason']}).",
)
COUNT = StockOperation(
    url_name="staff:stock_count",
    title="Count stock",
    intro="Count every unit of the item held here: on the shelf, in the stockroom, "
    "and those picked or set aside for customers' orders, which are still stock "
    "here. On hand becomes the counted units.",
    button="Save count",
    form_class=CountStockForm,
    perform=_count,
    describe=lambda d: f"Counted {d['counted']} × {d['code'].sku}.",
    shows_held=True,
)


def _held_here(store: Location, code: str) -> dict | None:
    """The item a code names and its units reserved at ``store`` (held for
    customers' orders, picked or set aside, and for transfers not shipped yet), or
    None for no such item."""
    variant = selectors.variant_by_code(code=code) if code else None
    if variant is None:
        return None
    level = selectors.levels_for_variants(
        variant_ids=[variant.pk], location_ids=[store.pk]
    ).get((variant.pk, store.pk))
    return {"variant": variant, "units": level.reserved if level else 0}


@staff_required
def stock_count_held(request):
    """What the Count form shows once the item is chosen: its units reserved at the
    location the form was opened for (``store``, one of the user's), which the count
    must include."""
    store = own_location(request.user, request.GET.get("store", ""))
    if store is None:
        raise Http404("No such location.")
    held = _held_here(store, request.GET.get("code", "").strip()[:64])
    return render(request, "inventory/staff/_count_held.html", {"held": held})


def _stock_operation(request, operation: StockOperation):
    """The form acts at the location it was opened for, which must still be the
    one the user acts for (``OpenedAtForm``)."""
    store = require_store(request)
    context = {"op": operation, "store": store, "level": None, "success": None}
    status = 200
    at = {"store": store, "user": request.user}
    if request.method == "POST":
        form = operation.form_class(request.POST, **at)
        once = isinstance(form, SentOnceForm)
        if form.is_valid() and (not once or claim(request, form)):
            try:
                level = operation.perform(
                    form.cleaned_data, location=store, actor=request.user
                )
            except ApplicationError as error:
                if once:
                    give_back(request, form)
                add_service_error(form, error, explain=explain_refusal)
            else:
                message = (
                    f"{operation.describe(form.cleaned_data)} Now at {store.name}: "
                    f"{level.on_hand} on hand, {level.reserved} reserved, "
                    f"{level.available} available."
                )
                if not request.htmx:
                    messages.success(request, message)
                    return redirect(operation.url_name)
                form = operation.form_class(**at)
                context.update(success=message, level=level)
        if form.errors:
            status = INVALID
    else:
        form = operation.form_class(initial={"code": request.GET.get("code", "")}, **at)
    context["form"] = form
    if operation.shows_held:
        level = context["level"]
        code = level.variant.sku if level else str(form["code"].value() or "")
        context["held"] = _held_here(store, code.strip()[:64])
    template = "inventory/staff/_stock_form.html"
    if not is_partial(request):
        template = "inventory/staff/stock_form.html"
    return render(request, template, context, status=status)


@staff_required
def stock_receive(request):
    return _stock_operation(request, RECEIVE)


@staff_required
def stock_adjust(request):
    return _stock_operation(request, ADJUST)


@staff_required
def stock_count(request):
    return _stock_operation(request, COUNT)
