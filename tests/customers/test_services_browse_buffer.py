"""With Redis, a request queues its views with one RPUSH and writes nothing; the
drain stores them in batches, once, even when a drain died halfway."""

import shutil
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import BrowseEvent
from customers.services import browse_buffer
from customers.services.browsing import drain_browse_events
from customers.tasks import drain_browse_events as drain_task
from tests.core.conftest import redis_url  # noqa: F401 - the throwaway Redis
from tests.customers.test_api_browsing import (
    DEVICE,
    consenting_user,
    post,
    signed_in,
    view,
)
from tests.factories import ProductFactory, VariantFactory
from tests.fakes.redis_faults import HungServer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


@pytest.fixture
def buffer(settings, redis_url):  # noqa: F811
    settings.OMNISTORE_BROWSE_BUFFER_URL = redis_url
    return browse_buffer.client()


def test_a_request_queues_its_batch_without_writing_to_the_database(buffer):
    user, customer = consenting_user()
    client = signed_in(APIClient(), user)
    product = ProductFactory()

    def statements(events):
        with CaptureQueriesContext(connection) as queries:
            assert post(client, events).json() == {"accepted": len(events)}
        return [q["sql"] for q in queries.captured_queries]

    one = statements([view(product, id="one")])
    fifty = statements([view(product, id=f"e{i}") for i in range(50)])

    assert len(one) == len(fifty) == 2  # the token; the profile with its consent
    assert not any(q.startswith(("INSERT", "UPDATE")) for q in one + fifty)
    assert not BrowseEvent.objects.exists()
    assert browse_buffer.waiting() == 51

    assert drain_browse_events(batch_size=20) == 51
    assert BrowseEvent.objects.filter(customer=customer).count() == 51
    assert browse_buffer.waiting() == 0
    assert drain_task() == 0  # nothing left: nothing stored twice
    assert BrowseEvent.objects.count() == 51


def test_what_a_dead_drain_had_taken_is_stored_once_by_the_next(buffer):
    user, _ = consenting_user()
    client = signed_in(APIClient(), user)
    product = ProductFactory()
    post(client, [view(product, id=f"e{i}") for i in range(5)])
    queued = buffer.lrange(browse_buffer.QUEUE, 0, -1)
    drain_browse_events()
    # A drain that stored its batch and died before letting go of it, and a client
    # that sent two of the same events again.
    buffer.rpush(browse_buffer.TAKEN, *queued)
    post(
        client, [view(product, id="e1"), view(product, id="e2"), view(product, id="x")]
    )
    buffer.rpush(browse_buffer.TAKEN, buffer.lindex(browse_buffer.QUEUE, 0))

    drain_browse_events()

    assert BrowseEvent.objects.count() == 6
    assert browse_buffer.waiting() == 0


def test_one_drain_at_a_time(buffer):
    user, _ = consenting_user()
    post(signed_in(APIClient(), user), [view(ProductFactory())])
    buffer.set(browse_buffer.LOCK, "another drain")

    assert drain_browse_events() == 0
    buffer.delete(browse_buffer.LOCK)
    assert drain_browse_events() == 1


def test_anonymous_views_wait_too_and_join_the_customer_when_drained(buffer):
    client = APIClient()
    earlier, later = ProductFactory(), VariantFactory()
    post(client, [view(earlier, minutes_ago=20)], device_id=DEVICE, consent=True)
    user, customer = consenting_user()
    post(signed_in(client, user), [view(later.product)], device_id=DEVICE)

    drain_browse_events()

    assert set(BrowseEvent.objects.values_list("customer_id", flat=True)) == {
        customer.pk
    }


def test_events_older_than_the_retention_are_dropped_when_drained(buffer, settings):
    settings.OMNISTORE_BROWSE_MAX_AGE_DAYS = 30
    user, _ = consenting_user()
    product = ProductFactory()
    old = view(product, id="old")
    old["occurred_at"] = (timezone.now() - timedelta(days=31)).isoformat()
    post(signed_in(APIClient(), user), [old, view(product, id="new")])

    assert drain_browse_events() == 1


def test_without_redis_reachable_a_batch_is_written_directly(settings):
    settings.OMNISTORE_BROWSE_BUFFER_URL = "redis://127.0.0.1:1/0"  # nothing listens
    user, _ = consenting_user()
    response = post(signed_in(APIClient(), user), [view(ProductFactory())])
    assert response.json() == {"accepted": 1}
    assert BrowseEvent.objects.count() == 1


def test_a_hung_buffer_is_waited_for_once_then_views_are_written_directly(settings):
    hung = HungServer()
    settings.OMNISTORE_BROWSE_BUFFER_URL = hung.url
    try:
        user, _ = consenting_user()
        client = signed_in(APIClient(), user)
        answers = [post(client, [view(ProductFactory())]).json() for _ in range(3)]
    finally:
        hung.close()
    assert answers == [{"accepted": 1}] * 3
    assert BrowseEvent.objects.count() == 3
    assert len(hung.accepted) == 1  # the first push timed out; the next two skip it
