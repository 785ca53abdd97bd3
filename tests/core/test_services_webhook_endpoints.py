"""Active webhook endpoints are kept per process for a few seconds: every stock
movement asks for them, and they change rarely."""

import pytest
from django.db import connection, transaction

from omnistore.core import webhooks
from omnistore.core.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kept(settings):
    settings.OMNISTORE_WEBHOOK_ENDPOINTS_TTL = 5
    webhooks.forget_endpoints()
    yield
    webhooks.forget_endpoints()


@pytest.fixture
def clock(monkeypatch):
    """The monotonic clock the copy is aged by, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(webhooks.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Runs what a commit runs (the test's own transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def endpoint(**kwargs) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name=kwargs.pop("name", "Shop sync"),
        url="http://127.0.0.1:9/hook",
        secret="s3cret",
        **kwargs,
    )


def test_endpoints_are_read_once_and_kept(django_assert_num_queries, clock, commit):
    with commit():
        hook = endpoint()
    with django_assert_num_queries(1):
        assert webhooks.active_endpoints() == [hook]
    clock[0] += 4.9
    with django_assert_num_queries(1):  # the delivery alone: no read, no outbox row
        assert webhooks.emit("stock.changed", {"movements": []}) == 1
    assert WebhookDelivery.objects.filter(endpoint=hook).count() == 1


def test_a_change_saved_in_this_process_counts_at_once(clock, commit):
    with commit():
        first = endpoint(name="First")
    assert webhooks.active_endpoints() == [first]
    with commit():
        second = endpoint(name="Second", event_types=["stock.*"])
        # Until the change commits, this process reads the endpoints every time.
        assert webhooks.active_endpoints() == [first, second]
    assert webhooks.active_endpoints() == [first, second]
    with commit():
        first.active = False
        first.save()
    assert webhooks.active_endpoints() == [second]
    with commit():
        second.delete()
    assert webhooks.active_endpoints() == []


def test_a_change_made_elsewhere_counts_once_the_copy_is_older_than_the_ttl(
    clock, commit
):
    with commit():
        hook = endpoint()
    assert webhooks.active_endpoints() == [hook]
    # Another process deactivates it: no signal reaches this one.
    WebhookEndpoint.objects.filter(pk=hook.pk).update(active=False)
    clock[0] += 4.9
    assert webhooks.active_endpoints() == [hook]
    # Still a candidate here, but the insert checks it is active: nothing is queued.
    assert webhooks.emit("stock.changed", {"movements": []}) == 0
    clock[0] += 0.2
    assert webhooks.active_endpoints() == []
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_deleted_elsewhere_gets_nothing_and_breaks_nothing(clock, commit):
    with commit():
        gone = endpoint(name="Gone")
        kept_one = endpoint(name="Kept")
    assert webhooks.active_endpoints() == [gone, kept_one]
    with connection.cursor() as cursor:  # another process: no signal here
        cursor.execute(
            f"DELETE FROM {WebhookEndpoint._meta.db_table} WHERE id = %s", [gone.pk]
        )

    assert webhooks.emit("stock.changed", {"movements": []}) == 1
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [
        kept_one.pk
    ]
    connection.check_constraints()  # no delivery points at the deleted endpoint


def test_an_endpoint_of_a_rolled_back_transaction_is_never_kept(clock):
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        ghost = endpoint(name="Ghost")
        assert webhooks.active_endpoints() == [ghost]  # read fresh, not kept
        raise Abandon
    assert webhooks.active_endpoints() == []
    assert webhooks.emit("stock.changed", {"movements": []}) == 0


def test_without_a_ttl_every_event_reads_the_endpoints(
    settings, django_assert_num_queries
):
    settings.OMNISTORE_WEBHOOK_ENDPOINTS_TTL = 0
    endpoint()
    for _ in range(2):
        with django_assert_num_queries(1):
            webhooks.active_endpoints()
