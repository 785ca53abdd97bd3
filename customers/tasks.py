"""Celery tasks of the customers app: thin, retry-safe."""

from celery import shared_task

from customers.services import browsing


@shared_task(name="customers.tasks.drain_browse_events", ignore_result=True)
def drain_browse_events() -> int:
    return browsing.drain_browse_events()
