"""Celery tasks of the customers app: thin and retry-safe (the services are
idempotent)."""

from celery import shared_task

from customers.services import appointments


@shared_task(name="customers.tasks.send_appointment_reminders", ignore_result=True)
def send_appointment_reminders() -> int:
    return len(appointments.send_appointment_reminders())
