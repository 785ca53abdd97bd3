"""A mail server that closes the connection after so many messages: the campaign
email backend sends each message once, resending only what the server did not
accept, and leaves queued what it could not send at all."""

import pytest

from campaigns.backends import EmailBackend, OutgoingMessage
from tests.fakes.smtp_server import FakeSMTP


@pytest.fixture
def relay(settings):
    server = FakeSMTP(max_per_connection=10).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def batch(count: int) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            message_id=n,
            channel="email",
            to=f"c{n}@example.com",
            subject="Winter sale",
            body="Up to 50% off.",
        )
        for n in range(count)
    ]


def test_a_server_limiting_messages_per_connection_gets_each_message_once(relay):
    results = EmailBackend().send_messages(batch(35))

    assert all(r.ok for r in results)
    received = relay.per_recipient("Winter sale")
    assert len(received) == 35
    assert set(received.values()) == {1}  # nothing the server accepted went twice
    assert relay.connections == 4  # a new connection after every 10 messages


def test_a_server_gone_mid_batch_leaves_the_rest_deferred(relay):
    relay.max_connections = 1  # ten messages, then the relay is gone

    results = EmailBackend().send_messages(batch(15))

    assert [r.ok for r in results] == [True] * 10 + [False] * 5
    assert [r.deferred for r in results] == [False] * 10 + [True] * 5
    assert len(relay.per_recipient("Winter sale")) == 10


def test_a_server_down_from_the_start_fails_the_batch(relay):
    relay.stop()  # nothing listens

    with pytest.raises(OSError):
        EmailBackend().send_messages(batch(3))
