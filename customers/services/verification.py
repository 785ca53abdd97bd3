"""Proof of ownership before a login takes over a profile.

Typing an email or a phone proves nothing, so a login starts with a profile of its
own (``customers.services.logins``). A profile known by an email, a phone or a
receipt becomes the login's only after the login proves it owns them:

- an emailed or texted code (``request_code``, then ``confirm_code``): six digits,
  valid ``CODE_TTL``, burned after ``MAX_WRONG_TRIES`` wrong tries (a new one may be
  asked for at once), sent as often as ``code_limits`` allows (per login, per login
  and address, per address);
- the claim code printed on the receipt of the purchase that made the profile
  (``claim_with_receipt``), at most ``code_limits.RECEIPT_FAILURES`` wrong claims an
  hour per login and per order number. Only that order counts
  (``Customer.created_by_order``, recorded when its checkout created the profile):
  any other order, even the first of a profile an associate registered, may have
  been matched to the profile by a phone, an email or a loyalty card someone typed,
  which proves nothing of its owner;
- a password reset's link (``password_reset``), mailed from here: it proves the
  login's own email (``prove_own_email``).

After proof the profile owning the identity (or the order) and the login's own are
merged, the known one surviving, so its history, loyalty card and points stay and
the login moves onto it. A profile that already has another login is not taken: the
pair goes to staff as a duplicate candidate.

Codes never rest in the database: the outbox row carries only the verification's id,
and its delivery picks the code, keeps a keyed hash (``code_hash``) and sends it.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from customers.models import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    IdentityKind,
    VerificationCode,
    VerificationKind,
    VerificationStatus,
)
from customers.normalize import normalize_email, normalize_phone
from customers.selectors.identities import live_customer_id, resolve_customer
from customers.services.account_emails import send_account_email
from customers.services.code_limits import (
    FORGOTTEN,
    WINDOW,
    check_send_limits,
    forgotten_target,
    receipt_refusal,
)
from customers.services.common import where_label
from customers.services.identities import erased_profile, lock_live_profile
from customers.services.logins import profile_for_login
from customers.services.matching import flag_duplicate
from customers.services.merge import SurvivorHasLogin, merge_customers
from customers.services.texting import send_text
from customers.services.timeline import EVENT_IDENTITY_ADDED, record_event
from omnistore.core import outbox
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, ValidationFailed

logger = logging.getLogger(__name__)

TOPIC = "customers.verification"
CODE_TTL = timedelta(minutes=15)
MAX_WRONG_TRIES = 5
EVENT_IDENTITY_VERIFIED = "identity_verified"
# Every placed order records an event with this reference and its number on the
# profile it belongs to (merges carry the events along): how a receipt finds it.
ORDER_REFERENCE = "order"


@dataclass(frozen=True)
class SentCode:
    kind: str
    sent_to: str
    expires_at: object
    verification_id: int
    sent: bool = True  # as a sign-up reports it, beside the codes not sent
    retry_at: None = None
    message: str = ""


# --- Targets and codes ----------------------------------------------------------------


def clean_target(*, email=None, phone=None) -> tuple[str, str]:
    """(kind, normalised value) of the one email or phone given."""
    given = [(k, v) for k, v in (("email", email), ("phone", phone)) if v]
    if len(given) != 1:
        message = "Give either an email or a phone number."
        raise ValidationFailed(message, extra={"non_field_errors": [message]})
    kind, raw = given[0]
    if kind == "email":
        value = normalize_email(raw)
        label = "Enter a valid email address."
    else:
        value = normalize_phone(raw)
        label = "Enter a valid phone number."
    if value is None:
        raise ValidationFailed(label, extra={kind: [label]})
    return kind, value


def masked(kind: str, value: str) -> str:
    """Enough of the address for the person to recognise it, not to learn it."""
    if kind == VerificationKind.EMAIL:
        name, _, domain = value.partition("@")
        return f"{name[:1]}•••@{domain}"
    return f"{value[:3]}•••{value[-2:]}"


def _code_hash(row: VerificationCode, code: str) -> str:
    """Keyed with the project's secret and bound to the row, so the six digits of a
    stolen hash cannot be found by trying the million codes."""
    message = f"{row.pk}:{row.kind}:{row.target}:{code}"
    return salted_hmac(
        "customers.verification", message, algorithm="sha256"
    ).hexdigest()


def receipt_claim_code(order_number: str) -> str:
    """The claim code a receipt prints next to the order number, e.g. ``K7Q2M-9XMDA``.

    Derived from the number with the project's secret, so it can be printed again at
    any time and nothing is stored; 50 bits, guessed at most ``RECEIPT_FAILURES``
    times an hour per login and per order.
    """
    number = str(order_number or "").strip().upper()
    digest = salted_hmac("customers.receipt-claim", number, algorithm="sha256").digest()
    text = base64.b32encode(digest).decode()[:10]
    return f"{text[:5]}-{text[5:]}"


def _plain(code) -> str:
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


# --- Limits -----------------------------------------------------------------------


def _lock_login(user) -> None:
    """A login's requests and tries wait for each other, so its counts hold."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()


def forget_codes(user, *, now=None) -> None:
    """A login closed for good (its person erased): its codes can no longer prove
    anything, but the last hour's stay counted (no secret, the address or order
    number only as a keyed digest), so that a
    new login cannot send an address more codes, or guess a receipt more often,
    than the limits allow. Older ones go (and these, once an hour old:
    ``forget_closed_logins_codes``)."""
    now = now or timezone.now()
    codes = VerificationCode.objects.filter(user=user)
    codes.filter(created_at__lt=now - WINDOW).delete()
    codes.filter(status=VerificationStatus.PENDING).update(
        status=VerificationStatus.SUPERSEDED, closed_at=now
    )
    for row in codes.only("pk", "kind", "target"):
        if not row.target.startswith(FORGOTTEN):
            VerificationCode.objects.filter(pk=row.pk).update(
                code_hash="", target=forgotten_target(row.kind, row.target)
            )


def forget_closed_logins_codes(*, now=None) -> int:
    """The codes of logins closed for good, once past the limits' hour."""
    now = now or timezone.now()
    deleted, _ = VerificationCode.objects.filter(
        user__is_active=False, created_at__lt=now - WINDOW
    ).delete()
    return deleted


# --- Emailed and texted codes -----------------------------------------------------------


@transaction.atomic
def request_code(
    *, user, email=None, phone=None, channel: str = Channel.WEB
) -> SentCode:
    """Send a code to an email or phone for ``user`` to prove it owns it.

    The answer is the same whether or not a profile is known by it. A newer code
    replaces the login's older one for the same address.
    """
    profile_for_login(user=user, channel=channel)  # staff logins stop here
    kind, target = clean_target(email=email, phone=phone)
    now = timezone.now()
    _lock_login(user)
    check_send_limits(user, kind, target, now)
    VerificationCode.objects.filter(
        user=user, kind=kind, target=target, status=VerificationStatus.PENDING
    ).update(status=VerificationStatus.SUPERSEDED, closed_at=now)
    row = VerificationCode.objects.create(
        user=user,
        kind=kind,
        target=target,
        channel=channel,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    outbox.enqueue(TOPIC, {"verification_id": row.pk}, dedupe_key=f"{TOPIC}:{row.pk}")
    return SentCode(
        kind=kind,
        sent_to=masked(kind, target),
        expires_at=row.expires_at,
        verification_id=row.pk,
    )


def _spend_code(user, kind: str, target: str, code) -> tuple[object, object]:
    """(the verification, None) for the right code, else (None, the refusal); a wrong
    try is counted and the last allowed one burns the code."""
    row = (
        VerificationCode.objects.select_for_update()
        .filter(user=user, kind=kind, target=target)
        .order_by("-created_at", "-id")
        .first()
    )
    now = timezone.now()
    if row is not None and row.status == VerificationStatus.BURNED:
        # Nothing to wait for: a new code may be asked for at once.
        message = (
            "This code no longer works after too many wrong tries; ask for a new one."
        )
        return None, ValidationFailed(
            message, code="code_burned", extra={"code": [message]}
        )
    if row is None or row.status != VerificationStatus.PENDING or not row.code_hash:
        message = "No code is waiting for this address; ask for one."
        return None, ValidationFailed(
            message, code="no_code", extra={"code": [message]}
        )
    if row.expires_at <= now:
        message = "This code has expired; ask for a new one."
        row.status, row.closed_at = VerificationStatus.REFUSED, now
        row.save(update_fields=["status", "closed_at"])
        return None, ValidationFailed(
            message, code="code_expired", extra={"code": [message]}
        )
    if not constant_time_compare(row.code_hash, _code_hash(row, _plain(code))):
        row.attempts += 1
        fields = ["attempts"]
        if row.attempts >= MAX_WRONG_TRIES:
            row.status, row.closed_at = VerificationStatus.BURNED, now
            fields += ["status", "closed_at"]
        row.save(update_fields=fields)
        left = MAX_WRONG_TRIES - row.attempts
        message = (
            f"Wrong code; {left} tries left."
            if left
            else "Wrong code; ask for a new one."
        )
        return None, ValidationFailed(
            message, code="wrong_code", extra={"code": [message]}
        )
    row.status, row.closed_at = VerificationStatus.VERIFIED, now
    row.save(update_fields=["status", "closed_at"])
    return row, None


def confirm_code(
    *, user, code, email=None, phone=None, channel: str = Channel.WEB
) -> Customer:
    """Check the code sent to an email or phone; when right, the profile known by it
    becomes the login's (merged with the login's own). Returns the login's profile.

    Wrong tries are kept even though the request is refused, so the refusal is
    raised after the transaction that counted it.
    """
    kind, target = clean_target(email=email, phone=phone)
    with transaction.atomic():
        profile_for_login(user=user, channel=channel)  # staff logins stop here
        _lock_login(user)
        proof, refusal = _spend_code(user, kind, target, code)
        if refusal is None:
            customer, refusal = _link_identity(
                user=user, kind=kind, value=target, proof=proof, channel=channel
            )
    if refusal is not None:
        raise refusal
    return customer


def prove_own_email(*, user, channel: str = Channel.WEB) -> Customer:
    """The login's own email proven by a message only its mailbox received (a
    password reset's link): kept as a verified email proof and linked as a confirmed
    code is. Returns the login's profile; a known profile that cannot be taken (one
    with another login goes to staff; an erased one) leaves the login its own. Runs
    in the caller's transaction, the login's row locked."""
    address = normalize_email(user.email)
    if address is None:
        return profile_for_login(user=user, channel=channel)
    now = timezone.now()
    proof = VerificationCode.objects.create(
        user=user,
        kind=VerificationKind.EMAIL,
        target=address,
        status=VerificationStatus.VERIFIED,
        channel=channel,
        created_at=now,
        expires_at=now,
        closed_at=now,
    )
    customer, _ = _link_identity(
        user=user,
        kind=VerificationKind.EMAIL,
        value=address,
        proof=proof,
        channel=channel,
    )
    return customer or profile_for_login(user=user, channel=channel)


def _link_identity(*, user, kind: str, value: str, proof, channel: str):
    """Attach the proven identity to the login's profile, or take over the profile
    that has it. Returns (profile, None) or (None, refusal)."""
    mine = profile_for_login(user=user, channel=channel)
    identity = CustomerIdentity.objects.filter(kind=kind, value=value).first()
    if identity is None:
        try:
            with transaction.atomic():
                CustomerIdentity.objects.create(
                    customer=mine,
                    kind=kind,
                    value=value,
                    verified=True,
                    channel=channel,
                )
        except IntegrityError:  # attached elsewhere meanwhile: take that one
            identity = CustomerIdentity.objects.get(kind=kind, value=value)
        else:
            _fill_contact(mine, kind, value)
            record_event(
                customer=mine,
                kind=EVENT_IDENTITY_ADDED,
                summary=(
                    f"{IdentityKind(kind).label} {value} added, verified "
                    f"({where_label(channel, None)})"
                ),
                actor=user,
                channel=channel,
                data={"kind": kind, "value": value, "verification_id": proof.pk},
            )
            return mine, None
    owner = resolve_customer(identity.customer_id)
    customer, refusal = _take_over(
        user=user, mine=mine, owner=owner, proof=proof, channel=channel
    )
    if refusal is None:
        CustomerIdentity.objects.filter(pk=identity.pk).update(verified=True)
        _record_proof(customer, proof, f"{IdentityKind(kind).label} {value} verified")
    return customer, refusal


def _fill_contact(customer: Customer, kind: str, value: str) -> None:
    name = "email" if kind == IdentityKind.EMAIL else "phone"
    if getattr(customer, name) != value:
        setattr(customer, name, value)
        customer.save(update_fields=[name, "updated_at"])


def _take_over(*, user, mine: Customer, owner: Customer, proof, channel: str):
    """The proven profile and the login's own become one, the proven one surviving
    (its loyalty card, history and login-less state win; the login moves onto it).
    A profile with another login, or an erased one, is refused."""
    if owner.pk == mine.pk:
        return mine, None
    if owner.is_anonymised:
        return None, erased_profile()
    if owner.user_id is None or owner.user_id == user.pk:
        try:
            with transaction.atomic():
                merge_customers(survivor=owner, other=mine, actor=user, claimed_by=user)
        except SurvivorHasLogin:
            pass  # another login took it meanwhile: refused below, as if second
        else:
            return resolve_customer(owner.pk), None
    flag_duplicate(
        customer=owner,
        other=mine,
        reason="A second login proved an identity of this profile.",
        channel=channel,
    )
    return None, Conflict(
        "This profile already belongs to another account; our staff will look at it.",
        code="profile_has_login",
    )


def _record_proof(customer: Customer, proof, summary: str) -> None:
    record_event(
        customer=customer,
        kind=EVENT_IDENTITY_VERIFIED,
        summary=summary,
        actor=proof.user,
        channel=proof.channel,
        data={"kind": proof.kind, "verification_id": proof.pk},
        reference_type="verification",
        reference_id=str(proof.pk),
    )


# --- Receipts -------------------------------------------------------------------------


def _order_profile(number: str) -> int | None:
    """The live profile an order belongs to, found through its own timeline."""
    found = (
        CustomerEvent.objects.filter(
            reference_type=ORDER_REFERENCE, reference_id=number
        )
        .order_by("id")
        .values_list("customer_id", flat=True)
        .first()
    )
    return live_customer_id(found) if found is not None else None


def receipt_claims_a_profile(customer: Customer | None, number: str) -> bool:
    """Whether the receipt of order ``number`` claims ``customer``'s profile: the
    purchase that made the profile, which has no login yet, is live and not erased
    (``claim_with_receipt`` holds to the same). Receipts print the claim code only
    then: not for a walk-in with no profile, a login's own order, nor an order
    matched to a profile that was there before it. No query."""
    return (
        customer is not None
        and _made_by(customer, number)
        and customer.user_id is None
        and customer.merged_into_id is None
        and not customer.is_anonymised
    )


def _made_by(customer: Customer, number: str) -> bool:
    """Whether the checkout of order ``number`` created ``customer``'s profile."""
    made = (customer.created_by_order or "").strip().upper()
    return bool(made) and made == str(number or "").strip().upper()


def claim_with_receipt(
    *, user, order_number, claim_code, channel: str = Channel.WEB
) -> Customer:
    """The profile of a receipt's order becomes the login's, given the claim code
    printed on it. A wrong number and a wrong code are refused alike."""
    number = str(order_number or "").strip().upper()[:20]
    now = timezone.now()
    with transaction.atomic():
        lock_live_profile(profile_for_login(user=user, channel=channel))
        _lock_login(user)
        refusal = receipt_refusal(user, number, now)
        if refusal is None:
            customer, refusal = _claim(user, number, claim_code, channel, now)
    if refusal is not None:
        raise refusal
    return customer


def _claim(user, number: str, claim_code, channel: str, now):
    owner_id = _order_profile(number) if number else None
    right = constant_time_compare(
        _plain(receipt_claim_code(number)), _plain(claim_code)
    )
    proof = VerificationCode(
        user=user,
        kind=VerificationKind.RECEIPT,
        target=number,
        channel=channel,
        created_at=now,
        expires_at=now,
        closed_at=now,
    )
    if owner_id is None or not right:
        proof.status, proof.attempts = VerificationStatus.REFUSED, 1
        proof.save()
        message = "Wrong order number or claim code."
        return None, ValidationFailed(
            message, code="wrong_claim_code", extra={"claim_code": [message]}
        )
    owner = resolve_customer(owner_id)
    if not _made_by(owner, number):
        message = (
            "This receipt's purchase did not open the profile, so it cannot claim "
            "it: confirm a code sent to your phone or email instead."
        )
        return None, Conflict(message, code="not_first_order")
    proof.status = VerificationStatus.VERIFIED
    proof.save()
    mine = profile_for_login(user=user, channel=channel)
    customer, refusal = _take_over(
        user=user, mine=mine, owner=owner, proof=proof, channel=channel
    )
    if refusal is None:
        _record_proof(customer, proof, f"Profile claimed with the receipt of {number}")
    return customer, refusal


# --- Delivery -------------------------------------------------------------------------


def _send(row: VerificationCode, code: str) -> None:
    minutes = int(CODE_TTL.total_seconds() // 60)
    body = (
        f"Your Omnistore code is {code}. It expires in "
        f"{minutes} minutes. If you did not ask for it, ignore this message."
    )
    if row.kind == VerificationKind.EMAIL:
        context = {"code": code, "minutes": minutes}
        subject, about = f"Your code: {code}", "Your verification code"
        send_account_email(
            row.user_id,
            row.target,
            subject,
            "verification_code",
            context,
            text=body,
            about=about,
        )
        return
    result = send_text(message_id=row.pk, to=row.target, body=body)
    if not result.ok:  # a number the provider refuses will not work on a retry
        logger.warning("verification %s: SMS refused: %s", row.pk, result.error)


def issue_code(*, verification_id: int) -> str | None:
    """Pick the code of a waiting verification and keep only its hash; returns the
    code for whoever delivers it, or None when the verification was already sent,
    replaced or has expired (nothing is sent twice)."""
    row = (
        VerificationCode.objects.select_for_update().filter(pk=verification_id).first()
    )
    if (
        row is None
        or row.status != VerificationStatus.PENDING
        or row.code_hash
        or row.expires_at <= timezone.now()
    ):
        return None
    code = f"{secrets.randbelow(10**6):06d}"
    row.code_hash = _code_hash(row, code)
    row.save(update_fields=["code_hash"])
    return code


@outbox.handler(TOPIC)
def deliver_code(payload: dict) -> None:
    """Issue the code and send it. A failed send rolls the hash back with the
    handler's savepoint, so the code that counts is always the one that left."""
    code = issue_code(verification_id=payload["verification_id"])
    if code is not None:
        _send(VerificationCode.objects.get(pk=payload["verification_id"]), code)
