"""Celery tasks of the approvals: thin, retry-safe."""

from celery import shared_task

from omnistore.approvals.services.approvals import expire_approvals


@shared_task(name="omnistore.approvals.tasks.expire_approvals", ignore_result=True)
def expire_stale_approvals() -> int:
    """Requests nobody decided (or approved and never used) in time end as expired,
    so the record says so; running it twice changes nothing more."""
    return expire_approvals()
