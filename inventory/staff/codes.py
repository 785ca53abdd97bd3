"""What a scanned code names, for screens that select an item before anything is
sent (the associate sees the item and types the units, and only then confirms), and
items found by name for a customer who says what they want instead of a code."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from inventory import selectors
from omnistore.staff.auth import current_store, staff_required


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
            "price": f"{variant.price} {settings.OMNISTORE_CURRENCY}",
        }
    )


FIND_LIMIT = 30


@staff_required
def stock_find(request):
    """Items by name, colour and size for a customer who names what they want; each
    result puts its SKU into the scan field named by ``for``, as if it was scanned."""
    query = request.GET.get("q", "").strip()[:100]
    target = request.GET.get("for", "")[:40]
    variants = selectors.find_variants(query=query, limit=FIND_LIMIT)
    availability = selectors.availability_here_and_elsewhere(
        variant_ids=[v.pk for v in variants], location=current_store(request)
    )
    context = {
        "q": query,
        "target": target,
        "results": [(v, *availability[v.pk]) for v in variants],
        "limit": FIND_LIMIT,
    }
    return render(request, "inventory/staff/_find_results.html", context)
