import pytest
from django.core import mail

from orders.payments.registry import get_provider


@pytest.fixture(autouse=True)
def _clean_outbox_side_effects():
    mail.outbox = []
    yield


@pytest.fixture
def provider():
    return get_provider("test")
