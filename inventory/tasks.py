"""Celery tasks of the inventory app: thin and retry-safe (a second sweep finds
nothing new)."""

from celery import shared_task

from inventory.services.low_stock import sweep_low_stock


@shared_task(name="inventory.tasks.sweep_low_stock", ignore_result=True)
def sweep_low_stock_task() -> int:
    """Notices for the levels newly at or under their threshold."""
    return len(sweep_low_stock().opened)
