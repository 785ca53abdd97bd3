"""Webhooks reach only public addresses: checked when the URL is saved and again at
delivery (a name may resolve elsewhere by then), connected to as checked, with no
redirect followed, the answer capped in time and size, and nothing sent to an
endpoint switched off."""

import ipaddress
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from omnistore.accounts.models import Role
from omnistore.core import netguard, webhooks
from omnistore.core.models import WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SECRET = "s3cret-key"
PUBLIC = "93.184.216.34"

# What the test resolver answers (``OMNISTORE_WEBHOOK_RESOLVER`` names it).
ANSWERS: dict[str, list[str]] = {}


def resolve(host: str, port: int) -> list[str]:
    if host not in ANSWERS:
        raise OSError(f"{host}: unknown to the test resolver")
    return ANSWERS[host]


@pytest.fixture(autouse=True)
def test_resolver(settings):
    settings.OMNISTORE_WEBHOOK_RESOLVER = f"{__name__}.resolve"
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = []
    ANSWERS.clear()
    yield ANSWERS
    ANSWERS.clear()


class Subscriber:
    """A real HTTP server on 127.0.0.1; ``answer(handler)`` writes the response."""

    def __init__(self, answer=None):
        self.requests: list[dict] = []
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                subscriber.requests.append(dict(self.headers))
                if answer is None:
                    self.send_response(204)
                    self.end_headers()
                else:
                    answer(self)

            def do_GET(self):  # where a followed redirect would land
                subscriber.requests.append(dict(self.headers))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscribers():
    made = []

    def make(answer=None):
        made.append(Subscriber(answer))
        return made[-1]

    yield make
    for subscriber in made:
        subscriber.close()


def queued(url: str, **kwargs) -> WebhookDelivery:
    """A delivery waiting for ``url`` (saved as a row, as an old or imported one)."""
    WebhookEndpoint.objects.create(name="sync", url=url, secret=SECRET, **kwargs)
    assert webhooks.emit("order.placed", {"number": "OS-1"}) == 1
    return WebhookDelivery.objects.get()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "2002:a9fe:a9fe::1",
        "64:ff9b::a9fe:a9fe",
    ],
)
def test_private_and_reserved_addresses_are_forbidden(address):
    assert netguard.is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_not(address):
    assert not netguard.is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8000/hook",
        "http://[::ffff:7f00:1]/hook",
        "http://2130706433/hook",
        "http://localhost:8000/hook",
        "http://10.0.0.7/hook",
        "ftp://example.com/hook",
        "http://user:pw@example.com/hook",
    ],
)
def test_an_internal_or_odd_url_is_refused_when_saved(url, test_resolver):
    test_resolver.update({"localhost": ["127.0.0.1", "::1"], "example.com": [PUBLIC]})
    endpoint = WebhookEndpoint(name="x", url=url, secret=SECRET)
    with pytest.raises(ValidationError) as error:
        endpoint.full_clean()
    assert "url" in error.value.message_dict


def test_a_name_is_refused_when_any_of_its_addresses_is_internal(test_resolver):
    test_resolver["mixed.example.com"] = [PUBLIC, "10.0.0.1"]
    with pytest.raises(netguard.UnsafeURL, match="10.0.0.1"):
        netguard.check_url("https://mixed.example.com/")
    with pytest.raises(netguard.Unresolvable):
        netguard.check_url("https://unknown.example.com/")


def test_production_takes_only_https(settings, test_resolver):
    settings.OMNISTORE_WEBHOOK_ALLOW_HTTP = False
    test_resolver["hooks.example.com"] = [PUBLIC]
    with pytest.raises(netguard.UnsafeURL, match="https://"):
        netguard.check_url("http://hooks.example.com/x")
    target = netguard.check_url("https://hooks.example.com/x?a=1")
    assert (target.host, target.port, target.path, target.address) == (
        "hooks.example.com",
        443,
        "/x?a=1",
        PUBLIC,
    )


def test_the_admin_form_says_why_an_internal_url_is_refused(client):
    client.force_login(
        UserFactory(role=Role.HQ, is_staff=True, is_superuser=True, username="hq")
    )
    response = client.post(
        "/admin/core/webhookendpoint/add/",
        {
            "name": "metadata",
            "url": "http://169.254.169.254/latest/meta-data/",
            "secret": SECRET,
            "event_types": "[]",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert b"private or reserved address" in response.content
    assert not WebhookEndpoint.objects.exists()

    ok = client.post(
        "/admin/core/webhookendpoint/add/",
        {
            "name": "erp",
            "url": f"https://{PUBLIC}/hook",
            "secret": SECRET,
            "event_types": "[]",
            "active": "on",
        },
    )
    assert ok.status_code == 302
    assert WebhookEndpoint.objects.get().name == "erp"


def test_a_stored_internal_url_is_not_called_nor_retried(subscribers):
    subscriber = subscribers()
    delivery = queued(f"http://127.0.0.1:{subscriber.port}/hook")
    assert webhooks.attempt(delivery.pk) is not None  # not retried
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "private or reserved" in delivery.last_error
    assert subscriber.requests == []


def test_a_name_rebound_to_an_internal_address_is_not_called(
    subscribers, test_resolver
):
    subscriber = subscribers()
    url = f"http://hooks.example.com:{subscriber.port}/hook"
    test_resolver["hooks.example.com"] = [PUBLIC]
    WebhookEndpoint(name="sync", url=url, secret=SECRET).full_clean()  # public now
    delivery = queued(url)

    test_resolver["hooks.example.com"] = ["127.0.0.1"]  # and loopback at delivery
    assert webhooks.attempt(delivery.pk) is not None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "127.0.0.1" in delivery.last_error
    assert subscriber.requests == []


def test_delivery_connects_to_the_checked_address_under_the_endpoints_name(
    settings, subscribers, test_resolver
):
    """The system resolver is never asked again after the check: the connection goes
    to the address checked, with the endpoint's name in ``Host``."""
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    subscriber = subscribers()
    test_resolver["hooks.invalid"] = ["127.0.0.1"]  # unknown to any real DNS
    delivery = queued(f"http://hooks.invalid:{subscriber.port}/hook")
    assert webhooks.attempt(delivery.pk) is not None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    [headers] = subscriber.requests
    assert headers["Host"] == f"hooks.invalid:{subscriber.port}"


def test_redirects_are_not_followed(settings, subscribers):
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    inside = subscribers()

    def redirect(handler):
        handler.send_response(303)
        handler.send_header("Location", f"http://127.0.0.1:{inside.port}/admin")
        handler.end_headers()

    outside = subscribers(redirect)
    delivery = queued(f"http://127.0.0.1:{outside.port}/hook")
    assert webhooks.attempt(delivery.pk).status == WebhookDelivery.Status.PENDING
    delivery.refresh_from_db()
    assert delivery.response_status == 303
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert len(outside.requests) == 1 and inside.requests == []


def test_a_slow_answer_is_cut_off(settings, subscribers):
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.OMNISTORE_WEBHOOK_TIMEOUT = 0.5

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        for _ in range(50):  # a byte every 0.1 s: each read is quick, the whole is not
            try:
                handler.wfile.write(b"x")
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    delivery = queued(f"http://127.0.0.1:{subscribers(trickle).port}/hook")
    started = time.monotonic()
    assert webhooks.attempt(delivery.pk).status == WebhookDelivery.Status.PENDING
    assert time.monotonic() - started < 2
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.response_status is None and delivery.last_error


def test_headers_trickling_in_are_cut_off_at_the_timeout(settings, subscribers):
    """Each header line comes before a read's own timeout, the whole never ends."""
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.OMNISTORE_WEBHOOK_TIMEOUT = 0.5
    sent = []

    def trickle_headers(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(50):  # 5 s of headers, a line every 0.1 s
            try:
                handler.wfile.write(b"X-Slow: 1\r\n")
                handler.wfile.flush()
            except OSError:
                return
            sent.append(1)
            time.sleep(0.1)

    delivery = queued(f"http://127.0.0.1:{subscribers(trickle_headers).port}/hook")

    assert webhooks.attempt(delivery.pk).status == WebhookDelivery.Status.PENDING
    delivery.refresh_from_db()
    assert delivery.response_status is None
    assert "No complete answer within 0.5 s" in delivery.last_error
    assert len(sent) < 50  # the call ended long before the headers did


def test_an_endless_answer_is_read_only_up_to_the_cap(settings, subscribers):
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.OMNISTORE_WEBHOOK_MAX_RESPONSE_BYTES = 4096

    def endless(handler):
        handler.send_response(200)
        handler.end_headers()
        handler.close_connection = True
        try:
            while True:
                handler.wfile.write(b"x" * 65536)
        except OSError:
            return

    delivery = queued(f"http://127.0.0.1:{subscribers(endless).port}/hook")
    assert webhooks.attempt(delivery.pk) is not None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_an_endpoint_switched_off_gets_nothing_more(settings, subscribers):
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    subscriber = subscribers()
    delivery = queued(f"http://127.0.0.1:{subscriber.port}/hook")
    WebhookEndpoint.objects.update(active=False)  # after the event, before delivery

    assert webhooks.attempt(delivery.pk) is not None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 0
    assert "switched off" in delivery.last_error
    assert subscriber.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_switched_off_endpoint_is_not_retried(settings, subscribers):
    settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    subscriber = subscribers(
        lambda handler: (handler.send_response(500), handler.end_headers())
    )
    endpoint = WebhookEndpoint.objects.create(
        name="sync", url=f"http://127.0.0.1:{subscriber.port}/hook", secret=SECRET
    )
    webhooks.emit("order.placed", {"number": "OS-1"})  # refused once: kept for retry
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.next_attempt_at is not None  # the back-off

    endpoint.active = False
    endpoint.save()
    WebhookDelivery.objects.update(next_attempt_at=None)
    assert webhooks.deliver_webhooks() == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED
    assert len(subscriber.requests) == 1


def test_a_delivery_connection_sends_without_nagles_delay():
    # On a kept connection a request's headers and body are two writes: with Nagle's
    # algorithm on, the body would wait for the subscriber's delayed ACK each call.
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    try:
        sock = netguard._connect("127.0.0.1", listener.getsockname()[1], 2.0)
        with sock:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()
