"""What a scanned code names, for screens that select an item before anything is
sent: the associate sees the item and types the units, and only then confirms."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

from inventory import selectors
from omnistore.staff.auth import staff_required


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
