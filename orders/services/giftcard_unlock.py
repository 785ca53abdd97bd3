"""A gift card locked after wrong PINs (``giftcard_pins``) unlocked before its time.

A gift card names no one: whoever holds it and its PIN may spend it, so an identity
document proves nothing about it. At a shop's counter the holder shows the card (or
the e-gift card's email) and types its PIN: the PIN typed right is the proof, and
the balance is shown at once (``unlock_card_at_counter``). In the admin, where no
holder types anything, HQ unlocks a card saying why (``unlock_gift_card``): the
buyer of an e-gift card on the phone, say.

A card is unlocked where it pays: at a shop selling in its currency (any of them, not
only the one that sold it), by a manager of that shop (an area manager, HQ) at once,
by its other staff once a manager approves (``OMNISTORE_APPROVAL_GIFT_CARD_UNLOCK``,
kind ``gift_card_unlock``): the manager reads the card and when its lock ends, so a
yes unlocks that lock only, and the reason. Who, where, the lock and the yes are
checked before the PIN is read, so the one asking learns nothing of the PIN before a
manager approves; the PINs typed are counted per lock of the card, whoever types
them (``prove_locked_card``). HQ in the admin, at no one shop, unlock any card,
recorded as approved by them. The card's history keeps each unlock: who, when, at
which shop, why and who approved. The count starts afresh: the next wrong PINs lock
the card again as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from inventory.models import Location
from omnistore.accounts.scoping import shop_ids
from omnistore.approvals.models import Approval, ApprovalKind
from omnistore.approvals.policy import approval_needed
from omnistore.approvals.selectors.approvals import (
    approves_everywhere,
    moves_without_asking,
)
from omnistore.approvals.services.approvals import check_approval
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from orders.models import GiftCard
from orders.selectors.till import till_currency

from .approvals import approved_by_note
from .giftcard_pins import (
    check_unlock_allowed,
    normalize_card_number,
    pin_lock_ends,
    prove_locked_card,
    unlock_card,
)
from .giftcards import check_reason, note_in_card_history

UNLOCKED = "Unlocked after wrong PINs"
# The unlock at a counter got this far with no PIN: the holder types it now (after
# the manager's yes, for an associate).
PIN_NEEDED = "gift_card_pin_needed"


def may_unlock_gift_card(user, location: Location | None) -> bool:
    """Whether ``user`` unlocks a card at ``location`` with no one else's yes: a
    manager of the shop (HQ too), or any staff there when unlocks are not approved.
    The others ask a manager."""
    return moves_without_asking(user, location, ApprovalKind.GIFT_CARD_UNLOCK)


def _check_who(user, location: Location | None) -> None:
    """Staff at one of their shops (a warehouse has no customers at a desk), or HQ
    at no one shop (the admin)."""
    if user is None or not user.is_store_staff:
        raise PermissionDenied("A gift card is unlocked by staff.")
    if location is None:
        if not approves_everywhere(user):
            raise PermissionDenied(
                "A gift card is unlocked at a shop selling in its currency, or by HQ."
            )
        return
    ids = shop_ids(user)
    if not location.is_shop or (ids is not None and location.pk not in ids):
        raise PermissionDenied("A gift card is unlocked at the counter of your shop.")


def _check_where(card: GiftCard, location: Location | None) -> None:
    """A shop unlocks the cards it takes: those in the currency it sells in."""
    if location is None:
        return
    currency = till_currency(location)
    if card.currency != currency:
        raise Conflict(
            f"This gift card is in {card.currency} and {location.name} sells in "
            f"{currency}: a shop selling in {card.currency} unlocks it, where it "
            "pays.",
            code="gift_card_other_currency",
        )


def _guard_unlock(
    card: GiftCard, *, ends: datetime, location, actor, reason: str, approvals, now
) -> Approval | None:
    """What a manager reads of the unlock: the card and when its lock ends, and the
    reason. The lock's end, to the microsecond, is part of the subject: a yes
    unlocks that lock only, and the card locked anew asks again."""
    if not approval_needed(ApprovalKind.GIFT_CARD_UNLOCK):
        return None
    return check_approval(
        kind=ApprovalKind.GIFT_CARD_UNLOCK,
        location=location,
        subject=f"gift_card:{card.number}:{ends:%Y%m%d%H%M%S%f}",
        actor=actor,
        summary=f"Unlock {card} ({card.currency}), locked after wrong PINs until "
        f"{timezone.localtime(ends):%d %b %H:%M:%S}",
        reason=reason,
        approvals=approvals,
        now=now,
    )


@transaction.atomic
def unlock_gift_card(
    *,
    card: GiftCard | int,
    reason: str,
    actor,
    location: Location | None = None,
    approvals: Sequence = (),
    now: datetime | None = None,
) -> GiftCard:
    """Clear the wrong-PIN lock of ``card``, saying why, at the shop ``location``
    (None: HQ in the admin). Refused for a card that is not locked, at a shop that
    does not take it, or by staff who may not (see the module); an associate's waits
    for a manager (``ApprovalRequired``, nothing changed). The card's row is locked
    while it is unlocked, so one lock is unlocked once."""
    reason = check_reason(reason)
    now = now or timezone.now()
    user = acting_user(actor)
    _check_who(user, location)
    pk = card.pk if isinstance(card, GiftCard) else card
    card = GiftCard.objects.select_for_update().get(pk=pk)
    ends = pin_lock_ends(card.number)
    if ends is None:
        raise Conflict(f"{card} is not locked.", code="gift_card_not_locked")
    _check_where(card, location)
    approval = _guard_unlock(
        card,
        ends=ends,
        location=location,
        actor=actor,
        reason=reason,
        approvals=approvals,
        now=now,
    )
    _unlock(
        card, location=location, reason=reason, approval=approval, user=user, now=now
    )
    return card


def _unlock(card: GiftCard, *, location, reason: str, approval, user, now) -> None:
    unlock_card(card.number)
    where = f"at {location.name}" if location is not None else "by HQ"
    note = f"{UNLOCKED} {where}: {reason}{approved_by_note(approval)}"
    note_in_card_history(card, note, actor=user, now=now)


@transaction.atomic
def unlock_card_at_counter(
    *,
    number: str,
    pin: str,
    reason: str,
    actor,
    location: Location,
    caller: str = "",
    approvals: Sequence = (),
    now: datetime | None = None,
) -> GiftCard:
    """The holder at the counter with a locked card: its PIN typed right unlocks it
    at ``location``, and the card is returned to show its balance. Everything else
    is checked first, in this order: the reason, who (staff at one of their shops),
    the card locked with tries left to unlock it, the shop's currency, and the
    manager's yes (an associate's ``ApprovalRequired``, the PIN not read). Only
    then is the PIN read (``prove_locked_card``: counted per lock of the card and
    against ``caller``); none typed yet is ``PIN_NEEDED``. A wrong PIN changes
    nothing else: the yes stands for the holder's next try, within the lock's."""
    reason = check_reason(reason)
    now = now or timezone.now()
    user = acting_user(actor)
    _check_who(user, location)
    ends = check_unlock_allowed(number=number, caller=caller)
    card = _locked_card(normalize_card_number(number), caller)
    _check_where(card, location)
    approval = _guard_unlock(
        card,
        ends=ends,
        location=location,
        actor=actor,
        reason=reason,
        approvals=approvals,
        now=now,
    )
    if not pin:
        message = "The holder types the card's PIN: it is the proof."
        raise ValidationFailed(message, code=PIN_NEEDED, extra={"pin": [message]})
    prove_locked_card(number=card.number, pin=pin, caller=caller)
    _unlock(
        card, location=location, reason=reason, approval=approval, user=user, now=now
    )
    return card


def _locked_card(number: str, caller: str) -> GiftCard:
    """The card of ``number``, its row locked while it is unlocked (one lock is
    unlocked once). An unknown number is refused as a wrong PIN is, and counted as
    one: ``prove_locked_card`` finds no card for it."""
    card = GiftCard.objects.select_for_update().filter(number=number).first()
    return card or prove_locked_card(number=number, pin="", caller=caller)
