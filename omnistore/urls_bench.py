"""The benchmark's URLs: the site's, and the floor it measures them against.

Only ``omnistore.settings.bench`` (never deployed) routes here. The floor is the least
a write request can cost in this stack — Django, its middleware, one connection, one
guarded ``UPDATE … WHERE`` and one ``INSERT`` in one transaction — so every figure
the benchmark prints stands next to what this machine manages in the same minute.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from inventory.models import Reservation, StockLevel

from .urls import handler400, handler500
from .urls import urlpatterns as site_patterns

__all__ = ["handler400", "handler500", "urlpatterns"]


@csrf_exempt
@require_POST
def floor(request):
    """Hold one unit of ``variant`` at ``location`` (query string): the guarded
    UPDATE of its stock row and the INSERT of the hold, 201 or 409."""
    try:
        variant = int(request.GET["variant"])
        location = int(request.GET["location"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest("variant and location ids")
    with transaction.atomic():
        held = StockLevel.objects.filter(
            variant_id=variant,
            location_id=location,
            on_hand__gte=F("reserved") + 1,
        ).update(reserved=F("reserved") + 1)
        if not held:
            return JsonResponse({"held": False}, status=409)
        Reservation.objects.create(
            variant_id=variant,
            location_id=location,
            quantity=1,
            reference_type="bench",
        )
    return JsonResponse({"held": True}, status=201)


urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *site_patterns]
