"""Panels that apps higher up add to lower pages, without the lower page importing them.

- ``dashboard_panels``: callables ``(request, store) -> dict``, merged into the
  dashboard's context (orders to pick, pickups waiting);
- ``customer_panels``: callables ``(request, customer) -> dict | None``; a dict with a
  ``"template"`` key is rendered on the customer's 360° page with itself as context
  (orders, returns, wishlists).

``register`` adds a panel once per process, however often its module is imported.
"""

from __future__ import annotations

from collections.abc import Callable

dashboard_panels: list[Callable] = []
customer_panels: list[Callable] = []


def register(panels: list[Callable], panel: Callable) -> Callable:
    if not any(
        getattr(p, "__qualname__", "") == panel.__qualname__
        and getattr(p, "__module__", "") == panel.__module__
        for p in panels
    ):
        panels.append(panel)
    return panel


def render_customer_panels(request, customer) -> list[dict]:
    """The panels that have something to show for this customer, in order."""
    shown = []
    for panel in customer_panels:
        data = panel(request, customer)
        if data:
            shown.append(data)
    return shown


def dashboard_context(request, store) -> dict:
    context: dict = {}
    for panel in dashboard_panels:
        context.update(panel(request, store))
    return context
