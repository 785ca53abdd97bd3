"""Celery tasks of the customers app: thin and retry-safe."""

from celery import shared_task

from customers.services import tasks as client_tasks


@shared_task(name="customers.tasks.generate_client_tasks", ignore_result=True)
def generate_client_tasks() -> int:
    """Birthday and follow-up tasks due today; a second run makes nothing new."""
    return sum(client_tasks.generate_client_tasks().values())
