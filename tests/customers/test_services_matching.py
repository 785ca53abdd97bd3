"""One person, one profile: identities are normalised and matched across channels."""

import re
import threading

import pytest
from django.core import mail
from django.db import connection, connections, transaction

from campaigns.backends import MemoryBackend
from customers.models import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    DuplicateCandidate,
    IdentityKind,
)
from customers.normalize import normalize_email, normalize_phone
from customers.services.accounts import register_customer
from customers.services.matching import match_customer
from customers.services.registration import create_customer_at_counter
from customers.services.verification import confirm_code
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import deliver_outbox

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "raw", ["+39 333 123 4567", "3331234567", "0039 333 1234567", " 333-123-4567 "]
)
def test_phones_in_any_format_normalise_to_one_e164_number(raw):
    assert normalize_phone(raw) == "+393331234567"


def test_phone_is_read_in_the_shop_country_when_given_a_region():
    assert normalize_phone("030 1234567", region="DE") == "+49301234567"
    assert normalize_phone("+39 333 123 4567", region="DE") == "+393331234567"


@pytest.mark.parametrize("raw", ["12", "not a phone", "+39 0", ""])
def test_invalid_or_empty_phone_is_none(raw):
    assert normalize_phone(raw) is None


def test_strict_phone_raises_a_field_error():
    with pytest.raises(ValidationFailed) as error:
        normalize_phone("12", strict=True)
    assert "phone" in error.value.extra


def test_email_is_trimmed_and_lower_cased_and_invalid_is_none():
    assert normalize_email("  Mario.Rossi@Example.COM ") == "mario.rossi@example.com"
    assert normalize_email("mario@") is None
    with pytest.raises(ValidationFailed):
        normalize_email("mario@", strict=True)


def test_same_person_in_store_then_guest_web_then_app_sign_up_is_one_profile(
    settings,
):
    """Sale at the counter with a phone, a guest web order with that phone and an
    email, then sign-up in the app with both and the SMS code confirmed: one profile
    holding the identities proven and every event. The guest's email was not added to the
    shop profile (an anonymous visitor proves nothing about it); the sign-up's
    proven login brings it."""
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    shop = LocationFactory()
    associate = StaffFactory(store=shop)
    in_store = match_customer(
        phone="333 123 4567",
        first_name="Mario",
        last_name="Rossi",
        channel=Channel.STORE,
        location=shop,
        actor=associate,
    )
    # The web guest types the phone in another format plus an email.
    guest = match_customer(
        email="Mario.Rossi@example.com",
        phone="+39 333 1234567",
        channel=Channel.WEB,
    )
    assert guest.pk == in_store.pk
    assert not guest.identities.filter(kind=IdentityKind.EMAIL).exists()
    registration = register_customer(
        email="mario.rossi@EXAMPLE.com",
        password="a-Long-pass-9876",
        phone="0039 333 1234567",
        first_name="Mario",
        last_name="Rossi",
        channel=Channel.APP,
    )
    assert registration.customer.pk != in_store.pk  # nothing proven yet
    deliver_outbox()
    (sms,) = [m for m in MemoryBackend.outbox if m.to == "+393331234567"]
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)
    proven = confirm_code(
        user=registration.user,
        phone="+393331234567",
        code=code,
        channel=Channel.APP,
    )
    assert proven.pk == in_store.pk
    assert Customer.objects.filter(merged_into__isnull=True).count() == 1
    customer = Customer.objects.get(merged_into__isnull=True)
    assert customer.user == registration.user
    assert customer.created_channel == Channel.STORE
    assert customer.email == "mario.rossi@example.com"
    assert customer.phone == "+393331234567"
    kinds = set(customer.identities.values_list("kind", "value"))
    assert (IdentityKind.PHONE, "+393331234567") in kinds
    assert (IdentityKind.LOYALTY, customer.loyalty_number) in kinds
    assert DuplicateCandidate.objects.count() == 0
    summaries = list(
        CustomerEvent.objects.filter(customer=customer).values_list(
            "summary", flat=True
        )
    )
    assert any("Profile created (Store" in s for s in summaries)


def test_an_anonymous_guest_adds_no_email_or_phone_to_a_profile_it_matched():
    """Someone typing a shop customer's phone beside their own email at a guest
    checkout does not put their email on that profile (they could prove it later and
    take the profile over); the customer's contact stays theirs."""
    victim = match_customer(
        phone="333 765 4321", first_name="Chiara", channel=Channel.STORE
    )
    matched = match_customer(
        email="mallory@example.org", phone="+393337654321", channel=Channel.WEB
    )
    assert matched.pk == victim.pk
    victim.refresh_from_db()
    assert victim.email == ""
    assert set(victim.identities.values_list("kind", flat=True)) == {
        IdentityKind.PHONE,
        IdentityKind.LOYALTY,
    }
    mallory = register_customer(
        email="mallory@example.org", password="a-Long-pass-9876", channel=Channel.WEB
    )
    deliver_outbox()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    proven = confirm_code(user=mallory.user, email="mallory@example.org", code=code)
    assert proven.pk != victim.pk  # their own profile, not Chiara's
    assert Customer.objects.get(pk=victim.pk).user_id is None
    # The other way round: their phone beside the customer's email is not added.
    match_customer(email="chiara@example.com", channel=Channel.STORE)
    match_customer(
        email="chiara@example.com", phone="+393479990000", channel=Channel.APP
    )
    assert not CustomerIdentity.objects.filter(value="+393479990000").exists()


def test_a_guest_order_with_an_unknown_email_creates_a_profile_with_a_loyalty_card():
    customer = match_customer(
        email="new@example.com", first_name="Ada", channel=Channel.WEB
    )
    assert customer.created_channel == Channel.WEB
    assert len(customer.loyalty_number) == 12 and customer.loyalty_number.isdigit()
    assert CustomerIdentity.objects.filter(
        customer=customer, kind=IdentityKind.LOYALTY, value=customer.loyalty_number
    ).exists()


def test_loyalty_card_finds_the_profile_even_with_spaces():
    customer = make_customer(email="card@example.com")
    number = customer.loyalty_number
    spaced = f"{number[:4]} {number[4:8]} {number[8:]}"
    assert match_customer(loyalty_number=spaced, channel=Channel.STORE) == customer


def test_an_unknown_loyalty_card_is_refused():
    with pytest.raises(ValidationFailed) as error:
        match_customer(loyalty_number="700000000000", channel=Channel.STORE)
    assert "loyalty_number" in error.value.extra
    assert Customer.objects.count() == 0


def test_conflicting_identities_are_flagged_not_merged():
    """Email of A and phone of B in one request: A (the stronger identity) is returned,
    B keeps its phone, and staff get a duplicate pair to review."""
    by_email = make_customer(email="anna@example.com", first_name="Anna")
    by_phone = make_customer(phone="347 000 1111", first_name="Anna", channel="store")
    matched = match_customer(
        email="anna@example.com", phone="+39 347 0001111", channel=Channel.APP
    )
    assert matched == by_email
    assert Customer.objects.count() == 2
    assert by_phone.identities.filter(kind=IdentityKind.PHONE).exists()
    assert not by_email.identities.filter(kind=IdentityKind.PHONE).exists()
    pair = DuplicateCandidate.objects.get()
    assert {pair.customer_a_id, pair.customer_b_id} == {by_email.pk, by_phone.pk}
    assert "+393470001111" in pair.reason
    # Asking again does not pile up pairs.
    match_customer(
        email="anna@example.com", phone="+39 347 0001111", channel=Channel.APP
    )
    assert DuplicateCandidate.objects.count() == 1


def test_login_is_stronger_than_email():
    user_profile = CustomerUserFactory(email="login@example.com").customer_profile
    other = make_customer(email="other@example.com")
    matched = match_customer(
        user=user_profile.user, email="other@example.com", channel=Channel.WEB
    )
    assert matched == user_profile
    assert DuplicateCandidate.objects.filter(
        customer_a=min(user_profile, other, key=lambda c: c.pk)
    ).exists()


def test_new_identities_attach_to_the_matched_profile():
    customer = make_customer(email="lea@example.com")
    match_customer(email="lea@example.com", phone="3391112222", channel=Channel.PHONE)
    customer.refresh_from_db()
    assert customer.phone == "+393391112222"
    assert customer.identities.filter(value="+393391112222").exists()


def test_invalid_identities_are_refused_with_field_errors_and_nothing_is_created():
    with pytest.raises(ValidationFailed) as error:
        match_customer(email="nope@", phone="12", channel=Channel.WEB)
    assert set(error.value.extra) == {"email", "phone"}
    with pytest.raises(ValidationFailed) as error:
        match_customer(channel=Channel.WEB)
    assert "non_field_errors" in error.value.extra
    with pytest.raises(ValidationFailed):
        match_customer(email="x@example.com", channel="fax")
    assert Customer.objects.count() == 0


def test_counter_registration_of_a_known_person_opens_their_profile():
    shop = LocationFactory()
    associate = StaffFactory(store=shop)
    online = make_customer(email="known@example.com")
    result = create_customer_at_counter(
        first_name="Known",
        last_name="Person",
        email="KNOWN@example.com",
        phone="3405556666",
        store=shop,
        actor=associate,
        email_consent=True,
    )
    assert result.customer == online and result.created is False
    assert online.consents.get(channel="email").granted is True
    assert online.consents.get(channel="email").location == shop


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_contacts_with_one_email_make_one_profile():
    """Eight requests for a never-seen email at once: exactly one profile."""
    barrier = threading.Barrier(8)
    results, errors = [], []

    def contact():
        try:
            barrier.wait(timeout=10)
            customer = match_customer(
                email="race@example.com", phone="3331239999", channel=Channel.WEB
            )
            results.append(customer.pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=contact) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert Customer.objects.count() == 1
    assert CustomerIdentity.objects.filter(kind=IdentityKind.EMAIL).count() == 1
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_returning_customer_is_not_held_up_by_rows_written_for_them_elsewhere():
    """Another transaction still open after writing a row that points at the
    profile (the worker's points and timeline for their last order): the match of
    their next checkout locks the profile without waiting for it."""
    customer = match_customer(email="back@example.com", channel=Channel.WEB)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            other.set_autocommit(False)
            cursor.execute(  # the lock an INSERT referencing the row takes
                "SELECT 1 FROM customers_customer WHERE id = %s FOR KEY SHARE",
                [customer.pk],
            )
            with connection.cursor() as mine:
                mine.execute("SET lock_timeout = '500ms'")
            alone = match_customer(email="back@example.com", channel=Channel.WEB)
            with transaction.atomic():  # as in a checkout's transaction
                within = match_customer(email="back@example.com", channel=Channel.WEB)
        other.rollback()
    finally:
        other.close()
        connection.close()
    assert alone == within == customer
