"""The unsubscribe page a customer opens from a message: its button withdraws the
consent wherever the page was opened from, and it says truly how to opt in again. An
erased person's link answers and writes nothing."""

import re
from html import unescape

import pytest
from django.core import mail
from django.test import Client

from campaigns.models import CampaignStatus, Message
from campaigns.services.sending import send_campaign
from customers.models import Consent, ConsentChange, CustomerEvent
from customers.services.erasure import erase_customer
from tests.campaigns.factories import EVERYONE, campaign, grant, person
from tests.orders.factories import deliver_outbox

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.com"


@pytest.fixture
def sent():
    customer = person("Ada")
    grant(customer, "email")
    send_campaign(campaign=campaign(rules=EVERYONE, status=CampaignStatus.SCHEDULED))
    [email] = mail.outbox
    mail.outbox = []
    return Message.objects.get(), email


def one_click_address(email) -> str:
    return email.extra_headers["List-Unsubscribe"].strip("<>").removeprefix(SITE)


def page_text(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def submit_the_form(browser: Client, address: str) -> object:
    """Open the page and click its button, as a browser does: its form posted, with
    its CSRF token, to its action, or back to the page's own address without one."""
    html = browser.get(address).content.decode()
    form = re.search(r'<form method="post"(?: action="([^"]*)")?>', html)
    action = unescape(form.group(1) or "") or address
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return browser.post(action, {"csrfmiddlewaretoken": token})


def test_the_page_opened_from_the_mail_headers_address_unsubscribes(sent):
    message, email = sent
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(one_click_address(email))
    assert page.status_code == 200
    assert "Stop Email messages?" in page_text(page)

    done = submit_the_form(browser, one_click_address(email))

    assert done.status_code == 200
    assert "You are unsubscribed" in page_text(done)
    assert not Consent.objects.get(customer=message.customer, channel="email").granted
    message.refresh_from_db()
    assert message.unsubscribed_at is not None


def test_a_mail_program_still_unsubscribes_in_one_click(sent):
    message, email = sent
    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(
        one_click_address(email), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert not Consent.objects.get(customer=message.customer, channel="email").granted


def test_the_page_says_the_customer_opts_in_again_from_their_account(client, sent):
    _, email = sent
    text = page_text(client.get(one_click_address(email)))
    assert "You can opt in again from your account." in text
    assert (
        "No account yet? Sign up with the email address this message came to and "
        "confirm it with the code we send there." in text
    )
    assert "shop" not in text.lower()  # a shop may not say yes for them again


def test_signing_up_with_the_email_reaches_the_profile_and_opts_in_again(
    api_client, sent
):
    """What the page promises: after unsubscribing, a sign-up with the address the
    message came to, confirmed by its code, opts that same profile in again."""
    message, email = sent
    submit_the_form(Client(), one_click_address(email))
    customer = message.customer
    assert not Consent.objects.get(customer=customer, channel="email").granted

    address = email.to[0]
    signed_up = api_client.post(
        "/api/v1/auth/register/",
        {"email": address, "password": "Sunny-Linen-2024"},
        format="json",
    )
    assert signed_up.status_code == 201, signed_up.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {signed_up.json()['token']}")
    deliver_outbox()
    [code_mail] = [m for m in mail.outbox if address in m.to and "code" in m.subject]
    code = re.search(r"\b(\d{6})\b", code_mail.body).group(1)
    proven = api_client.post(
        "/api/v1/me/verify/confirm/", {"email": address, "code": code}, format="json"
    )
    assert proven.status_code == 200, proven.json()
    assert api_client.get("/api/v1/me/").json()["id"] == customer.pk

    opted_in = api_client.put("/api/v1/me/consents/", {"email": True}, format="json")

    assert opted_in.status_code == 200, opted_in.json()
    assert Consent.objects.get(customer=customer, channel="email").granted


def test_an_sms_unsubscribe_page_names_the_phone_number(client, memory_backends):
    customer = person("Ada", phone=True)
    grant(customer, "sms")
    news = campaign(
        rules=EVERYONE,
        channels=("sms",),
        templates={"sms": ("", "News! Stop: {{ unsubscribe_url }}")},
        status=CampaignStatus.SCHEDULED,
    )
    send_campaign(campaign=news)
    [sms] = memory_backends.outbox
    [address] = re.findall(rf"{SITE}(/t/u/[^\s]+)", sms.body)

    text = page_text(client.get(address))

    assert "Stop SMS messages?" in text
    assert (
        "No account yet? Sign up with the phone number this message came to and "
        "confirm it with the code we send there." in text
    )


def test_an_erased_persons_link_answers_and_writes_nothing(sent):
    message, email = sent
    erase_customer(customer=message.customer)
    changes, events = ConsentChange.objects.count(), CustomerEvent.objects.count()
    browser = Client()

    page = browser.get(one_click_address(email))
    posted = browser.post(one_click_address(email).replace("/one-click/", "/"))
    one_click = Client(enforce_csrf_checks=True).post(
        one_click_address(email), {"List-Unsubscribe": "One-Click"}
    )

    for response in (page, posted):
        assert response.status_code == 200
        text = page_text(response)
        assert "You will get no more messages from us." in text
        assert "opt in again" not in text and "Sign up" not in text
        assert "<form" not in response.content.decode()
    assert (one_click.status_code, one_click.content) == (200, b"Unsubscribed.")
    message.refresh_from_db()
    assert message.unsubscribed_at is None
    assert ConsentChange.objects.count() == changes
    assert CustomerEvent.objects.count() == events
