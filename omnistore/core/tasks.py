from celery import shared_task

from . import outbox


@shared_task(name="omnistore.core.tasks.drain_outbox", ignore_result=True)
def drain_outbox() -> int:
    return outbox.drain()
