"""Requests queued twice before the database held one per move: the migration that
makes it hold them keeps one open (the one the manager approved, else the first
asked) and ends the others expired, saying why."""

from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from omnistore.approvals.models import Approval, ApprovalStatus

pytestmark = pytest.mark.django_db

close_duplicates = import_module(
    "omnistore.approvals.migrations.0009_approval_open_once"
).close_duplicates
OPEN_ONCE = [
    c for c in Approval._meta.constraints if c.name.startswith("approval_open_once")
]


def test_requests_queued_twice_keep_one_open_and_the_others_say_why(
    store, associate, manager
):
    now = timezone.now()

    def queued(minutes: int, subject: str, **fields):
        return Approval.objects.create(
            kind="discount",
            location_id=store.pk,
            subject=subject,
            summary=f"Discount on {subject}",
            amount=Decimal("16.50"),
            currency="EUR",
            requested_by_id=associate.pk,
            requested_at=now + timedelta(minutes=minutes),
            expires_at=now + timedelta(minutes=minutes + 10),
            **fields,
        ).pk

    # The table as it was before: nothing kept a request from being queued twice.
    # (DDL inside the test's transaction, undone with it.)
    schema = connection.schema_editor()
    for constraint in OPEN_ONCE:
        schema.remove_constraint(Approval, constraint)
    first = queued(0, "cart:62:55.00:BIG30")
    second = queued(1, "cart:62:55.00:BIG30")
    third = queued(2, "cart:62:55.00:BIG30")
    waiting = queued(0, "cart:63:80.00:BIG30")
    approved = queued(
        1,
        "cart:63:80.00:BIG30",
        status="approved",
        decided_by_id=manager.pk,
        decided_at=now,
        decision_note="Fine for today",
    )
    alone = queued(0, "cart:64:20.00:BIG30")

    close_duplicates(apps, schema)
    connection.check_constraints()  # PostgreSQL indexes no table with checks pending
    for constraint in OPEN_ONCE:  # the data now fits the constraint
        schema.add_constraint(Approval, constraint)

    rows = {row.pk: row for row in Approval.objects.all()}
    assert {pk: rows[pk].status for pk in rows} == {
        first: ApprovalStatus.PENDING,
        second: ApprovalStatus.EXPIRED,
        third: ApprovalStatus.EXPIRED,
        waiting: ApprovalStatus.EXPIRED,
        approved: ApprovalStatus.APPROVED,
        alone: ApprovalStatus.PENDING,
    }
    assert rows[second].decision_note == (
        f"Closed: asked again at the same moment as request {first}, which stays."
    )
    assert rows[second].decided_at is not None and rows[second].decided_by is None
    assert rows[waiting].decision_note.endswith(f"request {approved}, which stays.")
    assert rows[approved].decision_note == "Fine for today"
