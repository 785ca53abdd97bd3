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


@staff_required
def low_stock(request, *, seen_form=None, status=200):
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
            "seen_form": seen_form
            or LowStockSeenForm(initial={"until": now().isoformat()}),
        },
        status=status,
    )


@staff_required
@require_POST
def low_stock_seen(request):
    """This shop's notices the associate's page showed, marked seen by them."""
    store = require_store(request)
    form = LowStockSeenForm(request.POST)
    if not form.is_valid():
        return low_stock(request, seen_form=form, status=400)
    seen = mark_low_stock_seen(
        location=store, actor=request.user, noticed_until=form.cleaned_data["until"]
    )
    if seen:
        messages.success(
            request, f"{seen} low-stock notice{'s' if seen != 1 else ''} marked seen."
        )
    return redirect("staff:low_stock")
