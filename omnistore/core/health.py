"""``GET /health/``: whether this app server can serve, for a load balancer or a
monitor. It answers in JSON, is never cached, and says no more than each part's state:

- ``database``: one ``SELECT 1`` on the primary; when it fails the answer is a 503,
  so a balancer takes the server out until it answers again;
- ``cache``: one read of the shared cache; when Redis is down the site still serves
  (``omnistore.core.cache``), so the answer stays 200 with ``"status": "degraded"``.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .cache import unavailable as cache_unavailable


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _cache() -> bool:
    cache.get("omnistore:health")
    return not cache_unavailable()


@never_cache
@require_safe
def health(request):
    database, shared_cache = _database(), _cache()
    status = "unavailable" if not database else "ok" if shared_cache else "degraded"
    return JsonResponse(
        {
            "status": status,
            "database": "ok" if database else "unavailable",
            "cache": "ok" if shared_cache else "unavailable",
        },
        status=200 if database else 503,
    )
