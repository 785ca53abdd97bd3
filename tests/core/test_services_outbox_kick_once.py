"""One broker kick per commit, however many outbox rows the transaction wrote."""

import pytest
from django.db import transaction

from omnistore.core import outbox

pytestmark = pytest.mark.django_db


@outbox.handler("tests.kick_once")
def _noop(payload):
    return None


def test_a_transaction_writing_many_rows_kicks_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for n in range(4):
            outbox.enqueue("tests.kick_once", {"n": n})
    assert len(callbacks) == 1


def test_the_next_transaction_kicks_again(django_capture_on_commit_callbacks):
    for _ in range(2):
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            transaction.atomic(),
        ):
            outbox.enqueue("tests.kick_once", {})
            outbox.enqueue("tests.kick_once", {})
        assert len(callbacks) == 1
