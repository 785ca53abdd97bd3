"""The proofs behind a login taking over a profile: codes that leave once, are kept
only as hashes, expire and are replaced; receipt claim codes; staff logins refused."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from customers.models import (
    Customer,
    CustomerEvent,
    VerificationCode,
    VerificationStatus,
)
from customers.services.erasure import erase_customer
from customers.services.logins import profile_for_login
from customers.services.matching import match_customer
from customers.services.verification import (
    claim_with_receipt,
    confirm_code,
    deliver_code,
    forget_closed_logins_codes,
    issue_code,
    receipt_claim_code,
    request_code,
)
from omnistore.core import outbox
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from tests.customers.factories import CustomerUserFactory
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def emailed_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_a_code_leaves_once_and_only_its_hash_stays():
    user = CustomerUserFactory()
    sent = request_code(user=user, email="nora@example.com")
    assert sent.sent_to == "n•••@example.com"
    outbox.drain()
    row = VerificationCode.objects.get(pk=sent.verification_id)
    code = emailed_code()
    assert len(row.code_hash) == 64
    assert code not in row.code_hash
    deliver_code({"verification_id": row.pk})  # a repeated delivery sends nothing
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert issue_code(verification_id=row.pk) is None


def test_an_expired_verification_is_not_sent():
    user = CustomerUserFactory()
    sent = request_code(user=user, email="nora@example.com")
    VerificationCode.objects.filter(pk=sent.verification_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    outbox.drain()
    assert mail.outbox == []


def test_a_replaced_code_no_longer_works():
    user = CustomerUserFactory()
    first = request_code(user=user, email="nora@example.com")
    old = issue_code(verification_id=first.verification_id)
    second = request_code(user=user, email="nora@example.com")
    assert VerificationCode.objects.get(pk=first.verification_id).status == (
        VerificationStatus.SUPERSEDED
    )
    new = issue_code(verification_id=second.verification_id)
    if old != new:
        with pytest.raises(ValidationFailed):
            confirm_code(user=user, email="nora@example.com", code=old)
    confirm_code(user=user, email="nora@example.com", code=new)


def test_a_code_proves_only_what_it_was_sent_to():
    """A code sent to one address does not prove another one, nor for another login."""
    user, other = CustomerUserFactory(), CustomerUserFactory()
    sent = request_code(user=user, email="nora@example.com")
    code = issue_code(verification_id=sent.verification_id)
    with pytest.raises(ValidationFailed) as error:
        confirm_code(user=user, email="someone@example.com", code=code)
    assert error.value.code == "no_code"
    with pytest.raises(ValidationFailed):
        confirm_code(user=other, email="nora@example.com", code=code)


def test_the_receipt_claim_code_is_fixed_per_order_and_unguessable_from_another():
    assert receipt_claim_code("OS-ABC") == receipt_claim_code(" os-abc ")
    assert receipt_claim_code("OS-ABC") != receipt_claim_code("OS-ABD")
    assert re.fullmatch(r"[A-Z2-7]{5}-[A-Z2-7]{5}", receipt_claim_code("OS-ABC"))


def shop_profile_with_order(number: str) -> Customer:
    """A shop profile made by an order, with the order on its timeline, as placing
    the order writes them."""
    customer = match_customer(
        phone="333 123 4567", channel=Channel.STORE, order_number=number
    )
    CustomerEvent.objects.create(
        customer=customer,
        kind="order_placed",
        summary=f"Order {number} placed",
        reference_type="order",
        reference_id=number,
    )
    return customer


def test_a_receipt_claims_the_profile_even_after_it_was_merged():
    in_store = shop_profile_with_order("OS-1")
    user = CustomerUserFactory()
    claimed = claim_with_receipt(
        user=user, order_number="OS-1", claim_code=receipt_claim_code("OS-1")
    )
    assert claimed.pk == in_store.pk
    assert profile_for_login(user=user).pk == in_store.pk
    # Claiming again is harmless.
    again = claim_with_receipt(
        user=user, order_number="OS-1", claim_code=receipt_claim_code("OS-1")
    )
    assert again.pk == in_store.pk


def test_an_erased_or_owned_profile_cannot_be_claimed():
    erased = shop_profile_with_order("OS-2")
    erase_customer(customer=erased, actor=StaffFactory(), channel=Channel.STORE)
    with pytest.raises(Conflict):
        claim_with_receipt(
            user=CustomerUserFactory(),
            order_number="OS-2",
            claim_code=receipt_claim_code("OS-2"),
        )
    owned = shop_profile_with_order("OS-3")
    first = CustomerUserFactory()
    claim_with_receipt(
        user=first, order_number="OS-3", claim_code=receipt_claim_code("OS-3")
    )
    with pytest.raises(Conflict) as error:
        claim_with_receipt(
            user=CustomerUserFactory(),
            order_number="OS-3",
            claim_code=receipt_claim_code("OS-3"),
        )
    assert error.value.code == "profile_has_login"
    assert profile_for_login(user=first).pk == owned.pk


def test_staff_logins_get_no_profile_and_prove_nothing():
    staff = StaffFactory(email="nora@example.com")
    for attempt in (
        lambda: profile_for_login(user=staff),
        lambda: request_code(user=staff, email="nora@example.com"),
        lambda: claim_with_receipt(user=staff, order_number="X", claim_code="Y"),
    ):
        with pytest.raises(NotFound) as error:
            attempt()
        assert error.value.code == "staff_login"
    assert not Customer.objects.filter(user=staff).exists()
    assert not VerificationCode.objects.exists()


def test_only_the_receipt_of_the_profiles_first_order_claims_it():
    """A later order may carry someone else's phone typed at the counter: its
    receipt proves nothing about the profile it was matched to."""
    customer = shop_profile_with_order("OS-10")
    CustomerEvent.objects.create(
        customer=customer,
        kind="order_placed",
        summary="Order OS-11 placed",
        reference_type="order",
        reference_id="OS-11",
    )
    user = CustomerUserFactory()
    with pytest.raises(Conflict) as error:
        claim_with_receipt(
            user=user, order_number="OS-11", claim_code=receipt_claim_code("OS-11")
        )
    assert error.value.code == "not_first_order"
    assert profile_for_login(user=user).pk != customer.pk
    claimed = claim_with_receipt(
        user=user, order_number="OS-10", claim_code=receipt_claim_code("OS-10")
    )
    assert claimed.pk == customer.pk


def test_erasing_the_person_removes_the_codes_sent_to_their_addresses():
    user = CustomerUserFactory()
    request_code(user=user, email="nora.erase@example.com")
    profile = profile_for_login(user=user, channel=Channel.WEB)
    assert VerificationCode.objects.filter(target="nora.erase@example.com").exists()
    erase_customer(customer=profile)
    assert not VerificationCode.objects.filter(target="nora.erase@example.com").exists()
    # the hour's codes stay counted, without address or secret, then go
    kept = VerificationCode.objects.get(user=user)
    assert kept.code_hash == "" and kept.status == "superseded"
    assert forget_closed_logins_codes() == 0
    later = timezone.now() + timedelta(hours=1, minutes=1)
    assert forget_closed_logins_codes(now=later) == 1
    assert not VerificationCode.objects.filter(user=user).exists()
