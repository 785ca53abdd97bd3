"""On PostgreSQL, with real threads: taps at the same moment asking a manager for the
same move queue one request, and every tap waits on it."""

from decimal import Decimal

import pytest

from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.approvals.services.approvals import Ask, request_approval
from tests.concurrency import run_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_three_taps_at_once_queue_one_request_and_all_wait_on_it(store, associate):
    big_discount = Ask(
        kind=ApprovalKind.DISCOUNT,
        location_id=store.pk,
        subject="cart:62:55.00:BIG30",
        summary="Discount BIG30: 16.50 EUR off 55.00 (30%)",
        amount=Decimal("16.50"),
        currency="EUR",
    )

    def tap():
        return request_approval(ask=big_discount, requested_by=associate).pk

    results = run_parallel([tap, tap, tap])

    request = Approval.objects.get()
    assert request.status == ApprovalStatus.PENDING
    assert results == [request.pk] * 3
