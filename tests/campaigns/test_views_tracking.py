"""Open pixel, click redirect and unsubscribe: signed tokens, recorded once."""

import re
import time

import pytest
from django.conf import settings as django_settings
from django.core import mail, signing
from django.test import Client

from campaigns import tracking
from campaigns.models import CampaignStatus, Message
from campaigns.services.sending import send_campaign
from customers.models import Consent, ConsentChange, CustomerEvent
from customers.services.erasure import erase_customer
from customers.services.merge import merge_customers
from tests.campaigns.factories import EVERYONE, campaign, grant, person
from tests.factories import StaffFactory

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


def test_the_unsubscribe_page_speaks_of_our_messages_not_of_the_campaign(client):
    customer = person("Ada")
    grant(customer, "email")
    follow_up = campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED)
    follow_up.name = "Post-purchase follow-up (3 days)"
    follow_up.save(update_fields=["name"])
    send_campaign(campaign=follow_up)
    [email] = mail.outbox
    [url] = set(links(email.body, "u"))

    page = " ".join(client.get(path_of(url)).content.decode().split())

    assert "Post-purchase follow-up" not in page
    assert "one of our email messages about news and offers" in page


def test_the_unsubscribe_form_needs_the_csrf_token(sent):
    message, email = sent
    [url] = set(links(email.body, "u"))
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(path_of(url)).status_code == 403
    assert Consent.objects.get(customer=message.customer, channel="email").granted


def test_a_mail_program_unsubscribes_in_one_click_without_cookies(sent):
    """RFC 8058: the header's address takes a cookie-less POST of
    ``List-Unsubscribe=One-Click``; anything else posted there changes nothing."""
    message, email = sent
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert header.endswith("/one-click/")
    strict = Client(enforce_csrf_checks=True)

    assert strict.post(path_of(header), {"other": "x"}).status_code == 400
    forged = path_of(header).replace("/u/", "/u/x")
    assert strict.post(forged, ONE_CLICK).status_code == 404
    assert Consent.objects.get(customer=message.customer, channel="email").granted
    assert b"Stop Email messages?" in strict.get(path_of(header)).content

    assert strict.post(path_of(header), ONE_CLICK).status_code == 200
    assert not Consent.objects.get(customer=message.customer, channel="email").granted
    message.refresh_from_db()
    assert message.unsubscribed_at is not None


ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def tracked_targets(text: str) -> list[str]:
    """The URL behind every click-tracking link in a message."""
    targets = []
    for link in links(text, "c"):
        token = path_of(link).split("/")[3]
        targets.append(tracking.read_click_token(token)[1])
    return targets


def send_to(first_name: str, body: str) -> tuple[Message, object]:
    customer = person(first_name)
    grant(customer, "email")
    news = campaign(
        rules=EVERYONE,
        status=CampaignStatus.SCHEDULED,
        templates={"email": ("Hello", body)},
    )
    send_campaign(campaign=news)
    [email] = mail.outbox
    return Message.objects.get(customer=customer), email


def test_a_url_in_customer_data_is_never_made_a_tracked_link(client):
    """A first name set to a URL stays plain text: only the template's links are
    signed, so our domain is no redirect to the customer's site."""
    message, email = send_to(
        "https://evil.example/x",
        "Hi {{ first_name }}, see https://shop.example.org/new and {{ shop_url }}/cart/",
    )
    html = email.alternatives[0][0]
    assert tracked_targets(email.body) == [
        "https://shop.example.org/new",
        "https://shop.example.com/cart/",
    ]
    assert tracked_targets(html) == tracked_targets(email.body)
    assert "Hi https://evil.example/x, see" in email.body  # shown, not linked
    assert 'href="https://evil.example' not in html
    for link in links(email.body, "c"):
        response = client.get(path_of(link))
        assert response.status_code == 302
        assert "evil.example" not in response["Location"]


def test_a_link_completed_by_customer_data_is_not_tracked():
    _, email = send_to(
        "https://evil.example/x", "Go: https://shop.example.org/p?ref={{ first_name }}"
    )
    assert tracked_targets(email.body) == []
    assert "Go: https://shop.example.org/p?ref=https://evil.example/x" in email.body


def test_a_template_link_to_a_host_clicks_may_not_reach_is_left_as_written():
    _, email = send_to("Ada", "Partner: https://partner.example.net/offer")
    assert tracked_targets(email.body) == []
    assert "Partner: https://partner.example.net/offer" in email.body


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.net/",
        "https://shop.example.com.evil.net/",
        "https://shop.example.com@evil.example.net/",
        "https://evil.example.net\\@shop.example.com/",
        "javascript://shop.example.com/%0aalert(1)",
        "//evil.example.net/",
    ],
)
def test_a_signed_token_to_an_unlisted_host_never_redirects(client, sent, target):
    message, _ = sent
    token = tracking.click_token(message.pk, target)
    response = client.get(f"/t/c/{token}/")
    assert response.status_code == 404
    assert "Location" not in response
    message.refresh_from_db()
    assert message.clicked_at is None


def test_listed_hosts_and_their_subdomains_are_allowed(settings, client, sent):
    message, _ = sent
    settings.OMNISTORE_TRACKING_ALLOWED_HOSTS = [".brand.example"]
    for target in ("https://brand.example/a", "https://eu.brand.example/b"):
        response = client.get(f"/t/c/{tracking.click_token(message.pk, target)}/")
        assert response.status_code == 302 and response["Location"] == target
    other = tracking.click_token(message.pk, "https://shop.example.org/new")
    assert client.get(f"/t/c/{other}/").status_code == 404  # no longer listed


def old_click_token(message_id: int, url: str, *, days: int) -> str:
    """A click token as we signed it ``days`` ago."""

    class Then(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - days * 86400)

    signer = Then(key=django_settings.SECRET_KEY, salt=tracking.CLICK_SALT)
    return signer.sign_object([message_id, url], compress=True)


def test_a_click_token_expires_into_a_plain_page(settings, client, sent):
    message, _ = sent
    settings.OMNISTORE_TRACKING_LINK_MAX_AGE_DAYS = 90
    settings.OMNISTORE_STOREFRONT_URL = "https://www.storefront.example"
    target = "https://shop.example.org/new"
    recent = old_click_token(message.pk, target, days=89)
    assert client.get(f"/t/c/{recent}/")["Location"] == target
    message.refresh_from_db()
    clicked = message.last_clicked_at

    expired = old_click_token(message.pk, target, days=91)
    undated = signing.Signer(
        key=django_settings.SECRET_KEY, salt=tracking.CLICK_SALT
    ).sign_object([message.pk, target], compress=True)
    for token in (expired, undated):
        response = client.get(f"/t/c/{token}/")
        assert response.status_code == 410
        assert "Location" not in response
        assert b"This link has expired" in response.content
        assert b'href="https://www.storefront.example"' in response.content
    message.refresh_from_db()
    assert message.last_clicked_at == clicked


def test_the_storefronts_host_is_allowed(settings, client, sent):
    message, _ = sent
    settings.OMNISTORE_TRACKING_ALLOWED_HOSTS = []
    target = "https://www.storefront.example/cart/"
    token = tracking.click_token(message.pk, target)
    assert client.get(f"/t/c/{token}/").status_code == 404
    settings.OMNISTORE_STOREFRONT_URL = "https://www.storefront.example"
    response = client.get(f"/t/c/{token}/")
    assert response.status_code == 302 and response["Location"] == target


def test_an_erased_customers_open_and_click_are_answered_and_recorded_nowhere(
    client, sent
):
    message, email = sent
    [pixel] = links(email.alternatives[0][0], "o")
    [link] = links(email.body, "c")
    erase_customer(customer=message.customer)
    events_before = CustomerEvent.objects.count()

    opened = client.get(path_of(pixel))
    clicked = [client.get(path_of(link)) for _ in range(2)]

    assert opened.status_code == 200 and opened.content.startswith(b"GIF89a")
    for response in clicked:
        assert response.status_code == 302
        assert response["Location"] == "https://shop.example.org/new"
    message.refresh_from_db()
    assert (message.opened_at, message.clicked_at, message.last_clicked_at) == (
        None,
        None,
        None,
    )
    assert CustomerEvent.objects.count() == events_before
    assert not CustomerEvent.objects.filter(
        kind__in=["message_opened", "message_clicked"]
    ).exists()


def test_a_merged_customers_open_and_click_go_on_the_survivors_timeline(client, sent):
    message, email = sent
    [pixel] = links(email.alternatives[0][0], "o")
    [link] = links(email.body, "c")
    survivor = person("Ada")
    merge_customers(survivor=survivor, other=message.customer, actor=StaffFactory())

    assert client.get(path_of(pixel)).status_code == 200
    assert client.get(path_of(link)).status_code == 302

    message.refresh_from_db()
    assert message.customer_id == survivor.pk
    assert message.opened_at is not None and message.clicked_at is not None
    events = CustomerEvent.objects.filter(
        kind__in=["message_opened", "message_clicked"]
    )
    assert sorted(events.values_list("kind", "customer_id")) == [
        ("message_clicked", survivor.pk),
        ("message_opened", survivor.pk),
    ]
