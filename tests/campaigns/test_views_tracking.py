"""Open pixel, click redirect and unsubscribe: signed tokens, recorded once."""

import re

import pytest
from django.core import mail
from django.test import Client

from campaigns import tracking
from campaigns.models import CampaignStatus, Message
from campaigns.services.sending import send_campaign
from customers.models import Consent, ConsentChange, CustomerEvent
from tests.campaigns.factories import EVERYONE, campaign, grant, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(client):
    customer = person("Ada")
    grant(customer, "email")
    news = campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED)
    send_campaign(campaign=news)
    [email] = mail.outbox
    return Message.objects.get(), email


def path_of(url: str) -> str:
    return url.removeprefix("https://shop.example.com")


def links(text: str, kind: str) -> list[str]:
    return re.findall(rf"https://shop\.example\.com/t/{kind}/[^\s\"<>]+", text)


def test_the_open_pixel_is_a_gif_and_the_open_is_recorded_once(client, sent):
    message, email = sent
    html = email.alternatives[0][0]
    [pixel] = links(html, "o")

    for _ in range(3):
        response = client.get(path_of(pixel))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
        assert response.content.startswith(b"GIF89a")
        assert (
            "no-cache" in response["Cache-Control"]
            or "max-age=0" in response["Cache-Control"]
        )

    message.refresh_from_db()
    assert message.opened_at is not None
    opened = CustomerEvent.objects.filter(kind="message_opened")
    assert opened.count() == 1
    assert opened.get().customer_id == message.customer_id


def test_a_click_redirects_to_the_signed_target_and_is_recorded(client, sent):
    message, email = sent
    [link] = links(email.body, "c")

    response = client.get(path_of(link))
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.org/new"
    client.get(path_of(link))

    message.refresh_from_db()
    assert message.clicked_at is not None
    assert message.last_clicked_at >= message.clicked_at
    assert message.opened_at is not None  # a click proves an open
    clicked = CustomerEvent.objects.get(kind="message_clicked")
    assert clicked.data["url"] == "https://shop.example.org/new"


@pytest.mark.parametrize("kind", ["o", "c", "u"])
def test_tampered_tokens_answer_404_and_record_nothing(client, sent, kind):
    message, email = sent
    url = links(email.alternatives[0][0] + email.body, kind)[0]
    token = path_of(url).split("/")[3].removesuffix(".gif")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged_target = tracking.click_token(message.pk, "https://evil.example.net/")
    forged = forged_target[:-3] + "xyz"
    suffix = ".gif" if kind == "o" else "/"
    for bad in (tampered, "garbage", forged):
        assert client.get(f"/t/{kind}/{bad}{suffix}").status_code == 404
    assert client.post(f"/t/u/{tampered}/").status_code == 404
    # A token signed for another purpose does not open this door either.
    other = (
        tracking.open_token(message.pk)
        if kind != "o"
        else tracking.unsubscribe_token(message.pk)
    )
    assert client.get(f"/t/{kind}/{other}{suffix}").status_code == 404
    message.refresh_from_db()
    assert (message.opened_at, message.clicked_at, message.unsubscribed_at) == (
        None,
        None,
        None,
    )
    assert Consent.objects.get(customer=message.customer).granted


def test_unsubscribe_asks_first_then_withdraws_the_consent(client, sent):
    message, email = sent
    [url] = set(links(email.body, "u"))

    page = client.get(path_of(url))
    assert page.status_code == 200
    assert b"Stop Email messages?" in page.content
    assert Consent.objects.get(customer=message.customer, channel="email").granted

    done = client.post(path_of(url))
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    consent = Consent.objects.get(customer=message.customer, channel="email")
    assert consent.granted is False
    assert ConsentChange.objects.filter(
        customer=message.customer, channel="email", granted=False
    ).exists()
    assert CustomerEvent.objects.filter(kind="consent_withdrawn").count() == 1
    message.refresh_from_db()
    assert message.unsubscribed_at is not None

    assert client.post(path_of(url)).status_code == 200  # twice: nothing more
    assert CustomerEvent.objects.filter(kind="consent_withdrawn").count() == 1


def test_the_unsubscribe_form_needs_the_csrf_token(sent):
    message, email = sent
    [url] = set(links(email.body, "u"))
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(path_of(url)).status_code == 403
    assert Consent.objects.get(customer=message.customer, channel="email").granted
