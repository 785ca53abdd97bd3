"""Signed webhooks leave through the outbox and are retried until the subscriber accepts."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from omnistore.core import outbox, webhooks
from omnistore.core.models import OutboxMessage, WebhookDelivery, WebhookEndpoint

SECRET = "s3cret-key"


class Receiver:
    """A real HTTP subscriber on 127.0.0.1 answering with the next queued status."""

    def __init__(self, *, keep_alive: bool = False, drop_after_answer: bool = False):
        """``keep_alive``: HTTP/1.1, the connection kept open between calls;
        ``drop_after_answer``: each connection closed after its first answer without
        saying so (an idle connection a server times out)."""
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.connections = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def setup(self):
                super().setup()
                receiver.connections += 1

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.close_connection = self.close_connection or drop_after_answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(settings):
    # A subscriber on this machine: its loopback network is allowed on purpose.
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_event_is_posted_after_commit_with_a_valid_signature(receiver):
    WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
    with transaction.atomic():
        assert webhooks.emit("order.placed", {"number": "OS-1", "total": "10.00"}) == 1
        assert receiver.requests == []  # nothing leaves before commit
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body = json.loads(request["body"])
    assert body["type"] == "order.placed"
    assert body["data"] == {"number": "OS-1", "total": "10.00"}
    assert request["headers"]["X-Omnistore-Event"] == "order.placed"
    assert webhooks.verify(
        SECRET, request["body"], request["headers"]["X-Omnistore-Signature"]
    )
    assert not webhooks.verify(
        "wrong", request["body"], request["headers"]["X-Omnistore-Signature"]
    )
    assert not webhooks.verify(
        SECRET, request["body"] + b" ", request["headers"]["X-Omnistore-Signature"]
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.response_status == 204


@pytest.mark.django_db(transaction=True)
def test_refused_delivery_is_kept_and_retried_until_accepted(receiver):
    WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
    receiver.statuses = [500]
    with transaction.atomic():
        webhooks.emit("return.refunded", {"code": "R-1"})
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1 and delivery.response_status == 500
    assert delivery.next_attempt_at is not None  # the back-off
    assert not OutboxMessage.objects.exists()  # the delivery row keeps the state
    assert webhooks.deliver_webhooks() == 0  # not due yet

    # The back-off has passed: the periodic task tries again and the subscriber accepts.
    WebhookDelivery.objects.update(next_attempt_at=None)
    assert webhooks.deliver_webhooks() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2
    assert len(receiver.requests) == 2
    keys = {request["headers"]["Idempotency-Key"] for request in receiver.requests}
    assert keys == {f"omnistore-webhook-{delivery.pk}"}  # the same on every attempt


@pytest.mark.django_db
def test_endpoints_receive_only_the_event_types_they_subscribed_to():
    WebhookEndpoint.objects.create(
        name="stock", url="http://127.0.0.1:9/x", secret=SECRET, event_types=["stock.*"]
    )
    WebhookEndpoint.objects.create(
        name="off", url="http://127.0.0.1:9/y", secret=SECRET, active=False
    )
    assert webhooks.emit("order.placed", {}) == 0
    assert webhooks.emit("stock.changed", {"sku": "A"}) == 1
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == [
        "stock.changed"
    ]


@pytest.mark.django_db
def test_every_stock_movement_is_announced_to_stock_subscribers():
    from inventory.services.stock import receive_stock
    from tests.factories import LocationFactory, VariantFactory

    WebhookEndpoint.objects.create(
        name="wms", url="http://127.0.0.1:9/x", secret=SECRET, event_types=["stock.*"]
    )
    variant, shop = VariantFactory(), LocationFactory()
    receive_stock(variant=variant, location=shop, quantity=4)
    delivery = WebhookDelivery.objects.get(event_type="stock.changed")
    assert delivery.payload["movements"] == [
        {
            "variant_id": variant.pk,
            "location_id": shop.pk,
            "delta_on_hand": 4,
            "delta_reserved": 0,
            "reason": "receipt",
            "reference_type": "",
            "reference_id": "",
        }
    ]


@pytest.mark.django_db
def test_orders_and_customers_announce_their_lifecycle():
    from customers.services.matching import match_customer
    from customers.services.merge import merge_customers
    from orders.services.checkout import place_order
    from orders.services.fulfilment import mark_picked
    from orders.services.payments import PaymentRequest
    from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

    WebhookEndpoint.objects.create(
        name="crm",
        url="http://127.0.0.1:9/x",
        secret=SECRET,
        event_types=["order.*", "customer.*"],
    )
    shop, shirt = LocationFactory(), VariantFactory()
    stock(shirt, shop, 5)
    order = place_order(
        lines=[(shirt, 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=shop,
        email="ada@example.com",
        payments=[PaymentRequest(method="card_online", token="tok_visa")],
    )
    mark_picked(order=order, actor=StaffFactory(store=shop))
    other = match_customer(phone="+393331234567", channel="store")
    merge_customers(survivor=order.customer, other=other, actor=None)

    events = list(
        WebhookDelivery.objects.order_by("id").values_list("event_type", "payload")
    )
    kinds = [kind for kind, _ in events]
    assert kinds == [
        "customer.created",
        "order.placed",
        "order.status_changed",
        "customer.created",
        "customer.merged",
    ]
    placed = events[1][1]
    assert placed["number"] == order.number and placed["status"] == "placed"
    changed = events[2][1]
    assert changed["status"] == "picked" and changed["previous_status"] == "placed"
    assert events[4][1]["survivor_id"] == order.customer_id


@pytest.mark.django_db(transaction=True)
def test_a_transactions_events_are_delivered_through_the_drain_its_commit_kicks(
    receiver,
):
    WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
    WebhookEndpoint.objects.create(name="crm", url=receiver.url, secret=SECRET)
    with transaction.atomic():
        webhooks.emit("customer.created", {"customer_id": 1})
        webhooks.emit("stock.changed", {"movements": []})
        webhooks.emit("order.placed", {"number": "OS-1"})
    with transaction.atomic():  # a transaction with nothing else to drain
        webhooks.emit("order.cancelled", {"number": "OS-1"})

    assert WebhookDelivery.objects.count() == 8
    assert not OutboxMessage.objects.exists()  # the delivery rows are the state
    # Each commit kicked a drain, which woke the webhook worker (in the test, tasks
    # run at once): all eight delivered, once each.
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()
    events = ["customer.created", "stock.changed", "order.placed", "order.cancelled"]
    assert sorted(r["headers"]["X-Omnistore-Event"] for r in receiver.requests) == (
        sorted(events * 2)
    )


@pytest.mark.django_db(transaction=True)
def test_an_event_in_a_rolled_back_savepoint_is_dropped_and_a_later_one_delivered(
    receiver,
):
    WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
    with transaction.atomic():
        try:
            with transaction.atomic():
                webhooks.emit("customer.created", {"customer_id": 1})
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        webhooks.emit("order.placed", {"number": "OS-2"})

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event_type == "order.placed"
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert [r["headers"]["X-Omnistore-Event"] for r in receiver.requests] == [
        "order.placed"
    ]


@pytest.mark.django_db
def test_a_drain_wakes_the_webhook_worker_for_the_deliveries_due(
    receiver, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
    _queue(webhooks.BATCH + 1)  # committed by the test's end only: no kick yet
    assert not receiver.requests
    with django_capture_on_commit_callbacks(execute=True):
        outbox.drain()  # a drain (the periodic one here) with no row of its own
    assert len(receiver.requests) == webhooks.BATCH + 1
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()


def _queue(count: int) -> None:
    with transaction.atomic():
        for n in range(count):
            webhooks.emit("order.placed", {"number": f"OS-{n}"})


@pytest.mark.django_db
def test_due_deliveries_are_claimed_a_batch_at_a_time_and_each_answer_recorded(
    receiver, django_assert_num_queries
):
    WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
    _queue(2 * webhooks.BATCH + 5)
    # per batch: the claim (a savepoint, the locking read, the claim's UPDATE, its
    # release); one UPDATE per answer; then the empty claim
    with django_assert_num_queries(3 * 4 + (2 * webhooks.BATCH + 5) + 3):
        assert webhooks.deliver_webhooks() == 2 * webhooks.BATCH + 5
    assert len(receiver.requests) == 2 * webhooks.BATCH + 5
    delivered = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.DELIVERED, attempts=1, response_status=204
    )
    assert delivered.count() == 2 * webhooks.BATCH + 5
    sent = [json.loads(r["body"])["data"]["number"] for r in receiver.requests]
    assert sent == [f"OS-{n}" for n in range(2 * webhooks.BATCH + 5)]  # oldest first


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_answer_is_recorded_before_the_next_call_is_made(settings):
    """A worker stopped between two calls of a batch makes none of the answered
    calls again: each subscriber sees, as it is called, the calls before it already
    recorded as delivered."""
    from django.db import connections

    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    seen: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(
                WebhookDelivery.objects.filter(
                    status=WebhookDelivery.Status.DELIVERED
                ).count()
            )
            connections.close_all()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        WebhookEndpoint.objects.create(name="erp", url=url, secret=SECRET)
        _queue(4)  # its commit kicks the drain that makes the calls
        webhooks.deliver_webhooks()
    finally:
        server.shutdown()
    assert seen == [0, 1, 2, 3]
    assert WebhookDelivery.objects.filter(status="delivered").count() == 4


@pytest.mark.django_db
def test_a_renewed_claim_keeps_only_what_no_other_worker_took(receiver):
    WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
    _queue(3)
    first, taken, third = webhooks._claim(3)
    claimed_until = first.next_attempt_at
    # another worker's claim on the second one (this worker's claim had run out)
    WebhookDelivery.objects.filter(pk=taken.pk).update(
        next_attempt_at=claimed_until + timedelta(days=366)
    )
    kept = webhooks._renew([first, taken, third])
    assert [d.pk for d in kept] == [first.pk, third.pk]
    rows = {d.pk: d for d in WebhookDelivery.objects.all()}
    assert rows[first.pk].next_attempt_at >= claimed_until
    assert rows[third.pk].next_attempt_at == kept[1].next_attempt_at
    assert rows[taken.pk].next_attempt_at == claimed_until + timedelta(days=366)
    assert {d.attempts for d in rows.values()} == {1}  # a renewal is no new attempt


@pytest.mark.django_db
def test_a_call_outlasting_half_the_margin_records_what_is_done_first(
    settings, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.fakes.webhook_receiver import WebhookReceiver

    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.OMNISTORE_WEBHOOK_TIMEOUT = 5
    monkeypatch.setattr(webhooks, "CLAIM_MARGIN", timedelta(seconds=0.2))
    slow = WebhookReceiver(slow_first=1, delay=0.3).start()  # > half the margin
    try:
        WebhookEndpoint.objects.create(name="erp", url=slow.url, secret=SECRET)
        _queue(3)
        with CaptureQueriesContext(connection) as queries:
            assert webhooks.deliver_webhooks() == 3
    finally:
        slow.stop()
    writes = [
        q["sql"].split(" SET ")[1][:40]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE")
    ]
    # the claim; the slow call's answer recorded and the rest claimed again before
    # the next call; the two other answers, each as it came
    assert [w.split(" = ")[0] for w in writes] == [
        '"attempts"',
        '"attempts"',
        '"next_attempt_at"',
        '"attempts"',
        '"attempts"',
    ]
    assert (
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.DELIVERED, attempts=1
        ).count()
        == 3
    )
    assert sum(slow.per_key().values()) == 3


@pytest.mark.django_db
def test_a_failing_subscriber_holds_up_no_other_subscriber_in_its_batch(receiver):
    failing = Receiver()
    try:
        down = WebhookEndpoint.objects.create(
            name="down", url=failing.url, secret=SECRET
        )
        erp = WebhookEndpoint.objects.create(
            name="erp", url=receiver.url, secret=SECRET
        )
        failing.statuses = [500]
        _queue(3)  # per event: one delivery to each endpoint

        assert webhooks._attempt_all(webhooks._claim(10)) == 4  # 2 handed back

        assert len(failing.requests) == 1  # not called again from this batch
        assert len(receiver.requests) == 3
        to_down = list(WebhookDelivery.objects.filter(endpoint=down).order_by("pk"))
        assert (to_down[0].attempts, to_down[0].response_status) == (1, 500)
        assert to_down[0].next_attempt_at is not None  # its back-off
        # the other two handed back untried: due now, no attempt counted
        assert [(d.attempts, d.next_attempt_at) for d in to_down[1:]] == [
            (0, None),
            (0, None),
        ]
        assert not WebhookDelivery.objects.filter(endpoint=erp).exclude(
            status=WebhookDelivery.Status.DELIVERED
        )
        assert webhooks.deliver_webhooks() == 2  # the released ones, now accepted
    finally:
        failing.server.shutdown()


@pytest.mark.django_db
def test_a_slow_subscriber_gets_no_more_calls_from_its_batch(receiver, monkeypatch):
    from tests.fakes.webhook_receiver import WebhookReceiver

    monkeypatch.setattr(webhooks, "SLOW_CALL", 0.2)
    slow = WebhookReceiver(slow_first=1, delay=0.3).start()
    try:
        sleepy = WebhookEndpoint.objects.create(
            name="sleepy", url=slow.url, secret=SECRET
        )
        WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
        _queue(2)

        webhooks._attempt_all(webhooks._claim(10))

        assert sum(slow.per_key().values()) == 1
        assert len(receiver.requests) == 2
        first, second = WebhookDelivery.objects.filter(endpoint=sleepy).order_by("pk")
        assert first.status == WebhookDelivery.Status.DELIVERED
        assert (second.status, second.attempts, second.next_attempt_at) == (
            WebhookDelivery.Status.PENDING,
            0,
            None,
        )
    finally:
        slow.stop()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "keep_alive, drop_after_answer, connections",
    [
        (True, False, 1),  # one connection carries the batch's calls
        (False, False, 4),  # HTTP/1.0: a connection per call, as the server asks
        (True, True, 4),  # closed unannounced: each call after the first retried
    ],
)
def test_calls_to_one_subscriber_share_a_connection_it_keeps_open(
    settings, keep_alive, drop_after_answer, connections
):
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    subscriber = Receiver(keep_alive=keep_alive, drop_after_answer=drop_after_answer)
    try:
        WebhookEndpoint.objects.create(name="erp", url=subscriber.url, secret=SECRET)
        _queue(4)

        assert webhooks.deliver_webhooks() == 4

        assert subscriber.connections == connections
        sent = [json.loads(r["body"])["data"]["number"] for r in subscriber.requests]
        assert sent == ["OS-0", "OS-1", "OS-2", "OS-3"]  # each once, in order
        assert set(
            WebhookDelivery.objects.values_list("status", "attempts", "response_status")
        ) == {(WebhookDelivery.Status.DELIVERED, 1, 204)}
    finally:
        subscriber.server.shutdown()


def _delivery_inserts(queries) -> int:
    table = WebhookDelivery._meta.db_table
    return sum(q["sql"].startswith(f'INSERT INTO "{table}"') for q in queries)


@pytest.mark.django_db
def test_events_gathered_in_a_transaction_are_queued_together_in_their_order():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    erp = WebhookEndpoint.objects.create(name="erp", url="https://erp.example.com/h")
    crm = WebhookEndpoint.objects.create(name="crm", url="https://crm.example.com/h")
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        webhooks.gathered(),
    ):
        webhooks.emit("customer.created", {"customer_id": 1})
        try:
            with transaction.atomic():
                webhooks.emit("stock.changed", {"movements": ["gone"]})
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        webhooks.emit("order.created", {"number": "OS-1"})
        assert not WebhookDelivery.objects.exists()  # queued as the block ends

    assert _delivery_inserts(queries.captured_queries) == 1
    assert list(
        WebhookDelivery.objects.order_by("pk").values_list("event_type", "endpoint")
    ) == [
        ("customer.created", erp.pk),
        ("customer.created", crm.pk),
        ("order.created", erp.pk),
        ("order.created", crm.pk),
    ]


@pytest.mark.django_db
def test_a_gathered_event_of_a_transaction_that_fails_is_never_queued():
    WebhookEndpoint.objects.create(name="erp", url="https://erp.example.com/h")
    with pytest.raises(RuntimeError), transaction.atomic(), webhooks.gathered():
        webhooks.emit("order.created", {"number": "OS-1"})
        raise RuntimeError("the checkout failed")

    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "event_types", [[1, 2], [None], {"a": 1}, "order.*", ["order.*", "DROP TABLE"]]
)
def test_event_types_that_are_no_list_of_names_are_refused_at_their_field(
    event_types,
):
    hook = WebhookEndpoint(
        name="erp",
        url="https://93.184.216.34/h",
        secret=SECRET,
        event_types=event_types,
    )
    with pytest.raises(ValidationError) as refused:
        hook.full_clean()
    assert "event_types" in refused.value.message_dict


@pytest.mark.django_db
def test_a_list_stored_by_hand_never_stops_an_event():
    """Rows written past the form (in the database) match what they name, if
    anything, and the event still reaches the others."""
    for name, types in (
        ("ints", [1, 2]),
        ("text", "order.*"),
        ("mixed", [3, "order.*"]),
    ):
        WebhookEndpoint.objects.create(
            name=name, url="http://127.0.0.1:9/x", secret=SECRET, event_types=["x"]
        )
        WebhookEndpoint.objects.filter(name=name).update(event_types=types)
    webhooks.forget_endpoints()
    assert webhooks.emit("order.placed", {}) == 1
    assert WebhookDelivery.objects.get().endpoint.name == "mixed"
