"""Store credit's ledger: credit and debit a customer's balance, and expire what is
left of a credit past its date.

Every movement is one ledger row and one conditional ``UPDATE`` of
``Customer.store_credit_balance`` (``balance >= amount`` to take), in one transaction;
the row's unique reference makes each movement happen once, and the database keeps
the balance at zero or more. A credit expires at the end of the local day
``OMNISTORE_STORE_CREDIT_EXPIRY_DAYS`` after it is booked (0: never); how much
expires is the rule of ``orders.selectors.credit`` (first expiring, first spent).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from customers.selectors.identities import live_customer_id
from customers.services.timeline import record_event
from omnistore.core.actors import acting_user
from omnistore.core.dates import end_of_day_after
from omnistore.core.db import moved_by
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import Order, Return, StoreCreditKind, StoreCreditTransaction
from orders.selectors.credit import (
    ERASED_HOLDER,
    credit_currency,
    customers_with_store_credit_due,
    next_store_credit_expiry,
)

logger = logging.getLogger(__name__)

EVENT_STORE_CREDIT = "store_credit"
EXPIRY_REASON = "Expired unused"


def store_credit_expires_at(now: datetime) -> datetime | None:
    """When a credit booked at ``now`` expires: at the end of the local day the days
    run out on, the day the refund email and receipt print; None when store credit
    never does."""
    days = settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS
    return end_of_day_after(now, days) if days > 0 else None


def check_credit_currency(currency: str, *, refunding: bool = False) -> None:
    """A sale or a refund in another currency than the credit's (francs at a Swiss
    shop) neither spends nor earns store credit one for one; the refusal says what
    to do instead of paying with it, or of refunding into it (``refunding``)."""
    home = credit_currency()
    if currency != home:
        instead = (
            "refund it to the original payment (cash paid in "
            f"{currency} is refunded at a shop that takes {currency})"
            if refunding
            else "pay it another way"
        )
        message = (
            f"Store credit is kept in {home}; this sale is in {currency}: {instead}."
        )
        raise ValidationFailed(
            message,
            code="store_credit_currency",
            extra={"store_credit": [message]},
        )


def check_store_credit(customer: Customer, amount: Decimal, currency: str) -> None:
    """``amount`` of store credit in ``currency`` can be spent from ``customer``'s
    balance as read (the live profile, locked to spend from it): refused as a spend
    (``book_store_credit``) refuses it, which moves the balance by a guarded UPDATE."""
    check_credit_currency(currency)
    if customer.store_credit_balance < amount:
        raise _short_of_credit(customer.store_credit_balance, amount, currency)


def _short_of_credit(available, asked, currency: str) -> ValidationFailed:
    return ValidationFailed(
        f"Not enough store credit: {available} {currency} available, {asked} asked.",
        code="insufficient_store_credit",
        extra={"payment": [f"Store credit available: {available} {currency}."]},
    )


@transaction.atomic
def book_store_credit(
    *,
    customer_id: int,
    amount: Decimal,
    currency: str,
    kind: str,
    reason: str,
    reference: str,
    return_request: Return | None = None,
    order: Order | None = None,
    actor=None,
    now: datetime | None = None,
) -> StoreCreditTransaction:
    """Move ``amount`` (signed) on the customer's balance, once per ``reference``.

    The ledger row goes in first: a parallel duplicate waits on its unique reference
    and then finds it. The balance moves by one guarded UPDATE (a debit only while the
    balance covers it, on the live profile — a merge in between refuses instead of
    crediting the merged one — and a credit only on a profile not erased: one that
    waited for an erasure finds it erased and books nothing, 409 ``profile_erased``;
    a debit, the erasure's write-off, still goes); the database keeps the balance
    at zero or more. A credit — a return's, or a credit payment given back —
    expires like a new one.
    """
    done = StoreCreditTransaction.objects.filter(reference=reference).first()
    if done is not None:
        return done
    check_credit_currency(currency)
    now = now or timezone.now()
    pk = live_customer_id(customer_id)
    try:
        with transaction.atomic():
            txn = StoreCreditTransaction.objects.create(
                customer_id=pk,
                kind=kind,
                amount=amount,
                currency=currency,
                reason=(reason or "")[:250],
                reference=reference,
                return_request=return_request,
                order=order,
                actor=acting_user(actor),
                created_at=now,
                expires_at=store_credit_expires_at(now) if amount > 0 else None,
            )
    except IntegrityError:
        return StoreCreditTransaction.objects.get(reference=reference)
    rows = Customer.objects.filter(pk=pk, merged_into__isnull=True)
    if amount < 0:
        rows = rows.filter(store_credit_balance__gte=-amount)
    else:
        rows = rows.filter(is_anonymised=False)
    if not rows.update(store_credit_balance=moved_by("store_credit_balance", amount)):
        _refuse_move(pk, amount, currency)
    record_event(
        customer=Customer(pk=pk),
        kind=EVENT_STORE_CREDIT,
        summary=f"Store credit {amount:+} {currency}: {reason}",
        actor=actor,
        data={"amount": str(amount), "kind": kind, "reference": reference},
        reference_type="store_credit",
        reference_id=str(txn.pk),
    )
    return txn


def _refuse_move(pk: int, amount: Decimal, currency: str) -> None:
    """Why the guarded UPDATE of ``book_store_credit`` moved nothing, read after it:
    the profile merged meanwhile, erased (a credit), or short of credit (a debit)."""
    merged_into, balance, erased = Customer.objects.filter(pk=pk).values_list(
        "merged_into_id", "store_credit_balance", "is_anonymised"
    )[0]
    if merged_into is not None:
        raise Conflict(
            "The customer's profile was just merged; try again.",
            code="customer_merged",
        )
    if amount >= 0 and erased:
        message = f"No store credit was booked: {ERASED_HOLDER}."
        raise Conflict(
            message, code="profile_erased", extra={"store_credit": [message]}
        )
    raise _short_of_credit(balance, -amount, currency)


def expire_store_credit(*, now: datetime | None = None) -> int:
    """What is left of credits past their date expires: one ``expiry`` ledger row per
    customer with something due, and a timeline event. Returns how many customers
    lost credit.

    The customers are found in one query; each is then handled in a transaction of
    its own holding the customer row (``select_for_update``), so a spend at a till
    waits and the amount is computed again under the lock — never more than the
    balance. The reference names the customer and the latest date expired, so running
    again (or twice at once) expires nothing more. One customer that fails is logged
    and left to the next run; the others still expire.
    """
    now = now or timezone.now()
    count = 0
    for customer_id in customers_with_store_credit_due(now):
        try:
            count += _expire_for(customer_id, now)
        except Exception:  # this customer only: the next run tries again
            logger.exception("store credit: expiry for customer %s failed", customer_id)
    return count


@transaction.atomic(durable=True)
def _expire_for(customer_id: int, now: datetime) -> bool:
    try:
        customer = (
            Customer.objects.select_for_update(no_key=True)
            .only("pk", "store_credit_balance")
            .get(pk=customer_id, merged_into__isnull=True)
        )
    except Customer.DoesNotExist:  # merged since it was found
        return False
    due = next_store_credit_expiry(customer, now=now)
    if due is None or due.expires_at > now:
        return False
    amount = due.amount  # never more than the balance
    reference = f"expiry:{customer_id}:{due.expires_at:%Y%m%dT%H%M%S.%f}"
    book_store_credit(
        customer_id=customer_id,
        amount=-amount,
        currency=due.currency,
        kind=StoreCreditKind.EXPIRY,
        reason=f"{EXPIRY_REASON} (credit due by {timezone.localdate(due.expires_at)})",
        reference=reference,
        now=now,
    )
    return True
