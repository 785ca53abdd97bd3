"""Consents told at the counter: an associate records a customer's no on any
channel, and a yes to email or SMS never asked before; a no given earlier stays
until the customer opts in again themselves."""

import re

import pytest
from django.urls import reverse

from customers.models import Consent, ConsentChange, CustomerEvent
from customers.services.consents import set_consent
from customers.services.erasure import erase_customer
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(country="IT", name="Milano Duomo")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Sara", last_name="Colombo")


@pytest.fixture
def staff_client(client, associate):
    client.force_login(associate)
    return client


def _decide(client, customer, channel, decision, **extra):
    url = reverse("staff:customer_consent", args=[customer.pk])
    return client.post(url, {"channel": channel, "decision": decision}, **extra)


def _granted(customer, channel):
    return Consent.objects.get(customer=customer, channel=channel).granted


def test_a_customer_says_no_at_the_counter_and_it_is_recorded(
    staff_client, associate, shop
):
    customer = make_customer(email="pia@example.com", first_name="Pia")
    set_consent(
        customer=customer, channel="email", granted=True, source_channel=Channel.WEB
    )
    page = staff_client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert 'data-testid="withdraw-email"' in page.content.decode()
    assert 'aria-label="EMAIL: says no"' in page.content.decode()  # read aloud

    response = _decide(staff_client, customer, "email", "no", follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Email: no, recorded for Pia Bianchi."
    ]
    assert _granted(customer, "email") is False
    change = ConsentChange.objects.filter(customer=customer).latest("at")
    assert (change.granted, change.source_channel) == (False, Channel.STORE)
    assert (change.actor, change.location) == (associate, shop)
    event = CustomerEvent.objects.filter(customer=customer).latest("occurred_at")
    assert "Email consent withdrawn" in event.summary
    assert 'data-testid="withdraw-email"' not in response.content.decode()


def test_a_yes_to_a_channel_never_asked_needs_the_contact_on_the_profile(
    staff_client,
):
    customer = make_customer(email="pia@example.com", first_name="Pia")
    html = staff_client.get(
        reverse("staff:customer_detail", args=[customer.pk])
    ).content.decode()
    assert 'data-testid="grant-email"' in html
    assert 'data-testid="grant-sms"' not in html  # no phone on the profile

    assert _decide(staff_client, customer, "email", "yes").status_code == 302
    assert _granted(customer, "email") is True

    refused = _decide(staff_client, customer, "sms", "yes")
    assert refused.status_code == 422
    assert "Add the customer&#x27;s phone first." in refused.content.decode()
    assert not Consent.objects.filter(customer=customer, channel="sms").exists()


def test_a_no_given_before_is_not_turned_into_a_yes_at_the_counter(staff_client):
    customer = make_customer(email="pia@example.com", phone="3401234567")
    set_consent(
        customer=customer, channel="sms", granted=False, source_channel=Channel.APP
    )
    changes = ConsentChange.objects.count()

    refused = _decide(staff_client, customer, "sms", "yes")
    assert refused.status_code == 422
    assert 'data-testid="consent-error"' in refused.content.decode()
    assert "opt in again from their account" in refused.content.decode()
    assert _granted(customer, "sms") is False
    assert ConsentChange.objects.count() == changes


def test_a_channel_never_asked_offers_a_no_and_the_no_is_recorded(
    staff_client, associate, shop
):
    customer = make_customer(email="pia@example.com", first_name="Pia")
    page = staff_client.get(reverse("staff:customer_detail", args=[customer.pk]))
    html = page.content.decode()
    for channel in ("email", "sms", "push", "tracking"):  # none asked yet
        assert f'data-testid="withdraw-{channel}"' in html
    assert 'aria-label="PUSH: says no"' in html
    assert 'data-testid="grant-email"' in html  # and a yes where one is taken
    assert 'data-testid="grant-push"' not in html

    response = _decide(staff_client, customer, "push", "no", follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Push: no, recorded for Pia Bianchi."
    ]
    assert _granted(customer, "push") is False
    change = ConsentChange.objects.get(customer=customer, channel="push")
    assert (change.granted, change.source_channel) == (False, Channel.STORE)
    assert (change.actor, change.location) == (associate, shop)
    html = response.content.decode()
    assert 'data-testid="withdraw-push"' not in html  # a no already
    assert 'data-testid="withdraw-email"' in html


def test_a_first_no_is_declined_not_withdrawn(staff_client):
    customer = make_customer(email="pia@example.com", phone="3401234567")

    assert _decide(staff_client, customer, "push", "no").status_code == 302

    assert _granted(customer, "push") is False
    event = CustomerEvent.objects.filter(customer=customer).latest("occurred_at")
    assert event.summary.startswith("Push consent declined (Store")


@pytest.mark.parametrize(
    "channel, decision",
    [("tracking", "yes"), ("push", "yes"), ("fax", "no"), ("email", "maybe"), ("", "")],
)
def test_other_decisions_are_refused_and_change_nothing(
    staff_client, channel, decision
):
    customer = make_customer(email="pia@example.com", phone="3401234567")
    response = _decide(staff_client, customer, channel, decision)
    assert response.status_code == 422
    assert not ConsentChange.objects.filter(customer=customer).exists()


def test_an_erased_profile_takes_no_decision_and_shows_no_buttons(staff_client):
    customer = make_customer(email="pia@example.com")
    erase_customer(customer=customer)
    html = staff_client.get(
        reverse("staff:customer_detail", args=[customer.pk])
    ).content.decode()
    assert 'data-testid="grant-' not in html and 'data-testid="withdraw-' not in html
    changes = ConsentChange.objects.count()

    response = _decide(staff_client, customer, "email", "no")
    assert response.status_code == 422
    assert "This profile was erased." in response.content.decode()
    assert ConsentChange.objects.count() == changes


def test_an_unknown_profile_is_404_and_a_get_is_refused(staff_client):
    url = reverse("staff:customer_consent", args=[999999])
    assert (
        staff_client.post(url, {"channel": "email", "decision": "no"}).status_code
        == 404
    )
    customer = make_customer(email="pia@example.com")
    assert (
        staff_client.get(reverse("staff:customer_consent", args=[customer.pk]))
    ).status_code == 405


def test_says_no_asks_first_naming_the_customer_and_the_channel(staff_client):
    customer = make_customer(email="pia@example.com", first_name="Pia")
    html = staff_client.get(
        reverse("staff:customer_detail", args=[customer.pk])
    ).content.decode()
    form = re.search(
        r'<form[^>]*data-confirm="([^"]*)"[^>]*>(?:(?!</form>).)*'
        r'data-testid="withdraw-email"',
        html,
        re.S,
    )
    assert form is not None
    question = form.group(1)
    assert "Pia Bianchi says no to EMAIL" in question
    assert "only Pia Bianchi can opt in again" in question
