"""Celery tasks of the customers app: thin and retry-safe (the services are
idempotent)."""

from celery import shared_task

from customers.services import appointments, browsing, verification
from customers.services import tasks as client_tasks


@shared_task(name="customers.tasks.send_appointment_reminders", ignore_result=True)
def send_appointment_reminders() -> int:
    return len(appointments.send_appointment_reminders())


@shared_task(name="customers.tasks.generate_client_tasks", ignore_result=True)
def generate_client_tasks() -> int:
    """Birthday and follow-up tasks due today; a second run makes nothing new."""
    return sum(client_tasks.generate_client_tasks().values())


@shared_task(name="customers.tasks.drain_browse_events", ignore_result=True)
def drain_browse_events() -> int:
    return browsing.drain_browse_events()


@shared_task(name="customers.tasks.forget_verification_codes", ignore_result=True)
def forget_verification_codes() -> int:
    return verification.forget_closed_logins_codes()
