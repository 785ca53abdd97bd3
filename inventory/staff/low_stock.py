"""The shop's low stock: the levels at or under their threshold, new notices first, and
marking the notices the associate saw (``inventory.services.low_stock``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.timezone import now
from django.views.decorators.http import require_POST

from inventory import selectors
from inventory.services.low_stock import mark_low_stock_seen
from inventory.staff.forms import LowStockSeenForm
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID


@staff_required
def low_stock(request, *, seen_error: str = "", status=200):
    store = require_store(request)
    page = Paginator(selectors.low_stock(location=store), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "inventory/staff/low_stock.html",
        {
            "page": page,
            "store": store,
            "new_count": selectors.new_low_stock_count(location=store),
            "seen_form": LowStockSeenForm(
                initial={"until": now().isoformat()}, store=store, user=request.user
            ),
            "seen_error": seen_error,
        },
        status=status,
    )


COULD_NOT_MARK = "The list could not be marked seen; reload the page and try again."


@staff_required
@require_POST
def low_stock_seen(request):
    """This shop's notices the associate's page showed, marked seen by them. Sent
    from a page of another location than the one they act for now, it is refused
    (422) and the page shows the one they act for."""
    store = require_store(request)
    form = LowStockSeenForm(request.POST, store=store, user=request.user)
    if not form.is_valid():
        if form.moved:
            return low_stock(
                request, seen_error=form.non_field_errors()[0], status=INVALID
            )
        return low_stock(request, seen_error=COULD_NOT_MARK, status=400)
    seen = mark_low_stock_seen(
        location=store, actor=request.user, noticed_until=form.cleaned_data["until"]
    )
    if seen:
        messages.success(
            request, f"{seen} low-stock notice{'s' if seen != 1 else ''} marked seen."
        )
    return redirect("staff:low_stock")
