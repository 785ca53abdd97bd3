"""Wishlists in the shop: an associate opens a customer's lists from the 360° page,
sees each item at this shop's price (its market's, in its currency, as the sale rings
it up) and what this shop and the nearest ones have, adds items on the customer's
behalf by scanning them (on record as the associate's, at this shop) and removes
them.

Any associate may open any customer's lists, like the rest of the 360° view; items are
found only among the lists of the customer in the address, so a mistyped id is 404.

"Sell" hands an item to the assisted sale (the endless aisle starts there): the sale
screen's own scan endpoint takes it, so its cart rules apply unchanged. An item the
shop's market does not price ("not priced in CHF") is not sold there: no Sell.

An erased profile's lists are read-only, as its addresses are: no scan, no Sell, no
Remove; a change sent anyway is refused with the reason and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from customers.models import Customer, WishlistItem
from customers.selectors import wishlists as wishlist_selectors
from customers.services.wishlists import add_wishlist_item, remove_wishlist_item
from omnistore.core.channels import Channel
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import current_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial
from omnistore.staff.panels import customer_panels, register

from .customers import customer_or_404
from .forms import WishlistScanForm

PANEL_ITEMS_SHOWN = 4
# Items of each list the page shows; "Show all" opens one whole list (``?list=<id>``).
LIST_ITEMS_SHOWN = 24
# The assisted sale's door for other screens ("code" = SKU, "quantity", "customer":
# the sale is rung up for this customer); absent, no Sell button.
SALE_ADD_URL_NAME = "staff:sale_take"


def _sale_add_url() -> str | None:
    try:
        return reverse(SALE_ADD_URL_NAME)
    except NoReverseMatch:  # pragma: no cover - the orders app is always installed
        return None


def _whole_list(request) -> int | None:
    """The list shown whole (``list``, in the address or posted along a change
    made while it is open); any other value shows every list's first items."""
    value = request.GET.get("list") or request.POST.get("list")
    return int(value) if value and is_digits(value) else None


def _chosen_list(request) -> int | None:
    """The list the next scan goes to: the one chosen on the scan form, posted along
    a removal (``wishlist``), or in the address after a scan without HTMX put an
    item on a list other than the first (``into``). An associate scanning several
    items for one occasion keeps their choice."""
    value = request.POST.get("wishlist") or request.GET.get("into")
    return int(value) if value and is_digits(value) else None


def _back(customer: Customer, whole_list: int | None, *, into: int | None = None):
    url = reverse("staff:customer_wishlists", args=[customer.pk])
    query = urlencode({k: v for k, v in (("list", whole_list), ("into", into)) if v})
    return redirect(f"{url}?{query}" if query else url)


def _context(
    request, customer: Customer, *, form=None, added=None, refusal: str = ""
) -> dict:
    """The lists and the scan form; after a scan (``added``) the form keeps the list
    the item went to, so the next scan goes there too. ``refusal``: why a change
    was refused, nothing changed. An erased profile's lists are shown read-only."""
    store = current_store(request)
    whole_list = _whole_list(request)
    wishlists = wishlist_selectors.wishlists_with_availability(
        customer,
        store=store,
        items_per_list=LIST_ITEMS_SHOWN,
        whole_list=whole_list,
    )
    wishlist_selectors.attach_shop_prices(
        [item for wishlist in wishlists for item in wishlist.active_items], store=store
    )
    chosen = added.item.wishlist_id if added is not None else _chosen_list(request)
    if form is None:
        initial = {"wishlist": chosen} if chosen else None
        form = WishlistScanForm(wishlists=wishlists, initial=initial)
    return {
        "customer": customer,
        "store": store,
        "wishlists": wishlists,
        "whole_list": whole_list,
        "items_shown": LIST_ITEMS_SHOWN,
        "item_count": sum(w.item_count for w in wishlists),
        "form": form,
        "added": added,
        "refusal": refusal,
        "sale_add_url": _sale_add_url(),
    }


def _section(request, customer: Customer, *, status: int = 200, **extra):
    return render(
        request,
        "customers/staff/wishlist_section.html",
        _context(request, customer, **extra),
        status=status,
    )


@staff_required
def customer_wishlists(request, pk: int):
    customer = customer_or_404(pk)
    if customer.pk != pk:
        return redirect("staff:customer_wishlists", pk=customer.pk)
    template = "customers/staff/wishlist_section.html"
    if not is_partial(request):
        template = "customers/staff/wishlist.html"
    return render(request, template, _context(request, customer))


@staff_required
@require_POST
def wishlist_add(request, pk: int):
    """A scan puts the item on the chosen list (the default one, made if needed)."""
    customer = customer_or_404(pk)
    lists = list(wishlist_selectors.open_wishlists(customer))
    form = WishlistScanForm(request.POST, wishlists=lists)
    if form.is_valid():
        data = form.cleaned_data
        target = next((w for w in lists if w.pk == data["wishlist"]), None)
        try:
            added = add_wishlist_item(
                wishlist=target,
                customer=None if target is not None else customer,
                variant=data["code"],
                note=data["note"],
                actor=request.user,
                location=current_store(request),
                channel=Channel.STORE,
            )
        except ApplicationError as error:
            add_service_error(form, error, {"variant": "code"})
        else:
            if not request.htmx:
                wishlist = added.item.wishlist
                messages.success(
                    request, f"{added.item.variant.name} is on {wishlist.name}."
                )
                into = wishlist.pk if lists and wishlist.pk != lists[0].pk else None
                return _back(customer, _whole_list(request), into=into)
            return _section(request, customer, added=added)
    if not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(customer, _whole_list(request))
    return _section(request, customer, form=form, status=INVALID)


@staff_required
@require_POST
def wishlist_remove(request, pk: int, item_id: int):
    """Takes the item off its list, on record as this associate at this shop; a
    refusal (the profile erased meanwhile) is shown above the lists."""
    customer = customer_or_404(pk)
    item = (
        WishlistItem.objects.filter(
            pk=item_id,
            removed_at__isnull=True,
            wishlist__customer=customer,
            wishlist__archived_at__isnull=True,
        )
        .select_related("variant__product")
        .first()
    )
    if item is None:
        raise Http404("No such item on this customer's lists.")
    try:
        remove_wishlist_item(
            wishlist=item.wishlist_id,
            item_id=item.pk,
            actor=request.user,
            location=current_store(request),
            channel=Channel.STORE,
        )
    except NotFound:
        raise Http404("No such item on this customer's lists.") from None
    except ApplicationError as error:  # an erased profile: nothing is taken off
        if not request.htmx:
            messages.error(request, error.message)
            return _back(customer, _whole_list(request))
        return _section(request, customer, status=INVALID, refusal=error.message)
    if not request.htmx:
        messages.success(request, f"{item.variant.name} was taken off the list.")
        return _back(customer, _whole_list(request))
    return _section(request, customer)


def customer_wishlist_panel(request, customer: Customer) -> dict:
    """The 360° card: each list with its number of items, and the latest items with
    this shop's stock (four queries, however long the lists)."""
    store = current_store(request)
    summary = wishlist_selectors.wishlist_summary(
        customer, store=store, latest=PANEL_ITEMS_SHOWN
    )
    return {
        "template": "customers/staff/wishlist_panel.html",
        "customer": customer,
        "store": store,
        "wishlists": summary.wishlists,
        "items": summary.latest,
        "item_count": summary.item_count,
    }


register(customer_panels, customer_wishlist_panel)
