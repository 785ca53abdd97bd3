"""Wishlists in the shop: an associate opens a customer's lists from the 360° page,
sees what this shop and the nearest ones have, adds items on the customer's behalf by
scanning them (on record as the associate's, at this shop) and removes them.

Any associate may open any customer's lists, like the rest of the 360° view; items are
found only among the lists of the customer in the address, so a mistyped id is 404.

"Sell" hands an item to the assisted sale (the endless aisle starts there): the sale
screen's own scan endpoint takes it, so its cart rules apply unchanged.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from customers import selectors, services
from customers.models import Channel, Customer, WishlistItem
from inventory.forms import VariantCodeField
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import current_store, staff_required

from . import views as customer_views

INVALID = 422
PANEL_ITEMS_SHOWN = 4
# The assisted sale's scan endpoint ("code" = SKU, "quantity"); absent, no Sell button.
SALE_ADD_URL_NAME = "staff:sale_add"


class WishlistScanForm(forms.Form):
    code = VariantCodeField(label="Scan or type a SKU / barcode")
    note = forms.CharField(
        label="Note",
        max_length=250,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "Size to try, colour wanted, occasion…"}
        ),
    )
    wishlist = forms.TypedChoiceField(
        label="List", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, wishlists=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(w.pk, w.name) for w in wishlists]
        self.fields["wishlist"].choices = choices or [("", "My wishlist (new)")]
        if len(choices) <= 1:
            self.fields["wishlist"].widget = forms.HiddenInput()
            if choices:
                self.fields["wishlist"].initial = choices[0][0]


def _place_error(form: forms.Form, error: ApplicationError) -> None:
    """A service refusal next to the field it names (the item is the scanned code)."""
    placed = False
    for key, errors in (error.extra or {}).items():
        field = "code" if key == "variant" else key
        if field in form.fields and isinstance(errors, list | tuple):
            for message in errors:
                form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _customer_or_404(pk) -> Customer:
    try:
        return services.resolve_customer(pk)
    except NotFound:
        raise Http404("No such customer.") from None


def _sale_add_url() -> str | None:
    try:
        return reverse(SALE_ADD_URL_NAME)
    except NoReverseMatch:  # pragma: no cover - the orders app is always installed
        return None


def _context(request, customer: Customer, *, form=None, added=None) -> dict:
    store = current_store(request)
    wishlists = selectors.wishlists_with_availability(customer, store=store)
    return {
        "customer": customer,
        "store": store,
        "wishlists": wishlists,
        "item_count": sum(len(w.active_items) for w in wishlists),
        "form": form or WishlistScanForm(wishlists=wishlists),
        "added": added,
        "sale_add_url": _sale_add_url(),
        "currency": settings.OMNISTORE_CURRENCY,
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
    customer = _customer_or_404(pk)
    if customer.pk != pk:
        return redirect("staff:customer_wishlists", pk=customer.pk)
    template = "customers/staff/wishlist_section.html"
    if not request.htmx or request.htmx.history_restore_request:
        template = "customers/staff/wishlist.html"
    return render(request, template, _context(request, customer))


@staff_required
@require_POST
def wishlist_add(request, pk: int):
    """A scan puts the item on the chosen list (the default one, made if needed)."""
    customer = _customer_or_404(pk)
    lists = list(selectors.customer_wishlists(customer))
    form = WishlistScanForm(request.POST, wishlists=lists)
    if form.is_valid():
        data = form.cleaned_data
        target = next((w for w in lists if w.pk == data["wishlist"]), None)
        try:
            added = services.add_wishlist_item(
                wishlist=target,
                customer=None if target is not None else customer,
                variant=data["code"],
                note=data["note"],
                actor=request.user,
                location=current_store(request),
                channel=Channel.STORE,
            )
        except ApplicationError as error:
            _place_error(form, error)
        else:
            if not request.htmx:
                messages.success(request, f"{added.item.variant.name} is on the list.")
                return redirect("staff:customer_wishlists", pk=customer.pk)
            return _section(request, customer, added=added)
    if not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("staff:customer_wishlists", pk=customer.pk)
    return _section(request, customer, form=form, status=INVALID)


@staff_required
@require_POST
def wishlist_remove(request, pk: int, item_id: int):
    customer = _customer_or_404(pk)
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
        services.remove_wishlist_item(
            wishlist=item.wishlist_id,
            item_id=item.pk,
            actor=request.user,
            location=current_store(request),
            channel=Channel.STORE,
        )
    except NotFound:
        raise Http404("No such item on this customer's lists.") from None
    if not request.htmx:
        messages.success(request, f"{item.variant.name} was taken off the list.")
        return redirect("staff:customer_wishlists", pk=customer.pk)
    return _section(request, customer)


def customer_wishlist_panel(request, customer: Customer) -> dict:
    """The 360° card: the latest items with this shop's stock (four queries)."""
    store = current_store(request)
    wishlists = selectors.wishlists_with_availability(customer, store=store)
    items = sorted(
        (item for w in wishlists for item in w.active_items),
        key=lambda item: (item.added_at, item.pk),
        reverse=True,
    )
    return {
        "template": "customers/staff/wishlist_panel.html",
        "customer": customer,
        "store": store,
        "wishlists": wishlists,
        "items": items[:PANEL_ITEMS_SHOWN],
        "item_count": len(items),
    }


def _register(panels: list, panel) -> None:
    """Once per process, however often this module is imported."""
    if not any(
        getattr(p, "__qualname__", "") == panel.__qualname__
        and getattr(p, "__module__", "") == panel.__module__
        for p in panels
    ):
        panels.append(panel)


_register(customer_views.customer_panels, customer_wishlist_panel)
