"""An SMS consent an associate takes at the counter is for the number on the profile,
checked with the customer there: the number counts as given in person, so the SMS
campaign reaches it — whether it was typed at a guest checkout or at sign-up. A
number another profile holds is not confirmed for this one: nobody is texted, and
the pair goes to staff."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.backends import MemoryBackend
from campaigns.models import CampaignStatus
from campaigns.selectors.audiences import reachable
from campaigns.services.sending import send_campaign
from customers.models import Customer, CustomerEvent, DuplicateCandidate
from orders.models import Order
from tests.campaigns.factories import EVERYONE, campaign
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db
CARD = {"method": "card_online", "token": "tok_visa"}
PHONE = "+393331112233"


@pytest.fixture
def shop():
    return LocationFactory(country="IT", name="Milano Duomo")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


def guest_with_phone(shop) -> Customer:
    """Someone who bought online as a guest, typing their phone."""
    item = VariantFactory(price="20.00")
    stock(item, shop, 3)
    response = APIClient().post(
        "/api/v1/checkout/buy-now/",
        {
            "payment": CARD,
            "email": "marta@example.com",
            "phone": "333 111 2233",
            "fulfilment": "pickup",
            "store": shop.pk,
            "lines": [{"variant": item.pk, "quantity": 1}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Order.objects.get().customer


def signed_up_with_phone(email: str, phone: str) -> Customer:
    response = APIClient().post(
        "/api/v1/auth/register/",
        {"email": email, "password": "Spec-pass-9931!", "phone": phone},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Customer.objects.get(user__email=email)


def says_yes_to_sms(client, customer):
    url = reverse("staff:customer_consent", args=[customer.pk])
    response = client.post(url, {"channel": "sms", "decision": "yes"})
    assert response.status_code == 302, response.content[:500]


def texted_by_campaign() -> list[str]:
    spring = campaign(
        rules=EVERYONE, channels=("sms",), status=CampaignStatus.SCHEDULED
    )
    MemoryBackend.reset()
    send_campaign(campaign=spring)
    return [message.to for message in MemoryBackend.outbox]


def reached_by_sms() -> set[int]:
    return set(Customer.objects.filter(reachable("sms")).values_list("pk", flat=True))


def test_an_sms_yes_at_the_counter_reaches_a_number_typed_at_a_guest_checkout(
    staff, shop
):
    marta = guest_with_phone(shop)
    assert marta.phone == PHONE and marta.pk not in reached_by_sms()

    says_yes_to_sms(staff, marta)

    assert marta.pk in reached_by_sms()
    assert texted_by_campaign() == [PHONE]
    confirmed = CustomerEvent.objects.get(customer=marta, kind="identity_confirmed")
    assert "(Store · Milano Duomo, by Giulia Bianchi)" in confirmed.summary
    page = staff.get(reverse("staff:customer_detail", args=[marta.pk]))
    assert "confirmed in person" in page.content.decode()


def test_an_sms_yes_at_the_counter_reaches_the_number_given_at_sign_up(staff):
    nora = signed_up_with_phone("nora@example.net", "347 555 0303")
    assert nora.pk not in reached_by_sms()

    says_yes_to_sms(staff, nora)

    assert nora.pk in reached_by_sms()
    assert texted_by_campaign() == ["+393475550303"]
    phone = nora.identities.get(kind="phone")
    assert (phone.value, phone.proven) == ("+393475550303", True)


def test_a_number_held_by_another_profile_is_not_confirmed_for_this_one(staff, shop):
    vera = guest_with_phone(shop)  # her number, on her own profile
    mallory = signed_up_with_phone("mallory@example.net", PHONE)

    says_yes_to_sms(staff, mallory)

    assert mallory.pk not in reached_by_sms() and vera.pk not in reached_by_sms()
    assert texted_by_campaign() == []
    assert vera.identities.get(kind="phone").proven is False
    pair = DuplicateCandidate.objects.get()
    assert {pair.customer_a_id, pair.customer_b_id} == {vera.pk, mallory.pk}
