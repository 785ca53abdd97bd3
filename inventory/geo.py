"""Distances between places on the globe: in kilometres for people to read
(``haversine_km``), and as an order in SQL (``great_circle_order``), by one formula
so a list said to be nearest first is in the order of the kilometres it shows."""

from __future__ import annotations

import math

from django.db.models import F, FloatField, Value
from django.db.models.functions import Cast, Cos, Radians, Sin

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1, lng1, lat2, lng2) -> float:
    lat1, lng1, lat2, lng2 = (math.radians(float(x)) for x in (lat1, lng1, lat2, lng2))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def great_circle_order(lat: float, lng: float, *, prefix: str = ""):
    """An expression that orders rows with ``latitude`` and ``longitude`` (reached by
    ``prefix``) by their great-circle distance to the point: the ``a`` of
    ``haversine_km``, whose last steps (a square root, an arcsine) keep the order.
    Functions Django gives PostgreSQL and SQLite alike, so both order the same."""
    lat0, lng0 = math.radians(float(lat)), math.radians(float(lng))
    phi = Radians(Cast(F(f"{prefix}latitude"), FloatField()))
    lam = Radians(Cast(F(f"{prefix}longitude"), FloatField()))
    half_dlat = Sin((phi - Value(lat0)) / Value(2.0))
    half_dlng = Sin((lam - Value(lng0)) / Value(2.0))
    return half_dlat * half_dlat + Value(math.cos(lat0)) * Cos(phi) * (
        half_dlng * half_dlng
    )
