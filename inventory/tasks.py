"""Celery tasks of the inventory app: thin and retry-safe (a second sweep finds
nothing new)."""

from celery import shared_task

from inventory.services.low_stock import sweep_low_stock
from inventory.services.transfers import lapse_stale_asks


@shared_task(name="inventory.tasks.sweep_low_stock", ignore_result=True)
def sweep_low_stock_task() -> int:
    """Notices for the levels newly at or under their threshold."""
    return len(sweep_low_stock().opened)


@shared_task(name="inventory.tasks.lapse_stale_asks", ignore_result=True)
def lapse_stale_asks_task() -> int:
    """Asks for stock not shipped in time lapse, their held units free again."""
    return len(lapse_stale_asks())
