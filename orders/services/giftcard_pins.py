"""The gift card PIN check: PINs are stored hashed (Django's password hashers).

Wrong PINs are counted in the shared cache per card number and per caller; at
``OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES`` the card is locked for
``OMNISTORE_GIFT_CARD_PIN_LOCK_MINUTES`` (``gift_card_locked``), and a caller past four
times as many is refused for as long (``too_many_attempts``, 429) whatever card it
asks about: the card of a genuine holder asking from there is not locked, nor told
so. A count runs from its first wrong try, so either refusal says the time left of
it. An unknown number and a wrong PIN answer the same, so numbers cannot be told
apart. Without the cache no PIN is tried (503). A shop unlocks a locked card before
its time (``orders.services.giftcard_unlock``): the holder's PIN typed right there
is the proof (``prove_locked_card``). The PINs typed to unlock a card are counted
beside its own count, per lock and whoever types them (any login, any process): the
lock allows ``OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES`` of them, then no counter unlock
until it ends (``gift_card_unlock_refused``), so an unlock is no way round the count.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.utils import timezone

from customers.services.code_limits import (
    TooManyAttempts,
    refused_until,
    time_left,
)
from omnistore.core.cache import require_cache
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import GiftCard


def normalize_card_number(value) -> str:
    """ASCII digits only: a scanned or typed number with spaces or dashes is the
    same; other scripts' digits (Arabic-Indic, superscripts) are not a card's."""
    return "".join(ch for ch in str(value or "") if ch in ASCII_DIGITS)[:32]


ASCII_DIGITS = frozenset("0123456789")


def _fail_key(kind: str, ident: str) -> str:
    return f"giftcard:fail:{kind}:{ident}"


def _ends_key(kind: str, ident: str) -> str:
    return f"giftcard:ends:{kind}:{ident}"


def _lock_seconds() -> int:
    return settings.OMNISTORE_GIFT_CARD_PIN_LOCK_MINUTES * 60


def _failures(kind: str, ident: str) -> int:
    return int(cache.get(_fail_key(kind, ident)) or 0)


def _count_failure(kind: str, ident: str) -> int:
    """One more wrong try in the count of ``kind`` and ``ident``: a count starts
    with its first try and lasts the lock's minutes from there, when it ends is
    kept beside it (``_count_ends``)."""
    key = _fail_key(kind, ident)
    if cache.add(key, 0, _lock_seconds()):
        _start_count(kind, ident)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, _lock_seconds())
        _start_count(kind, ident)
        return 1


def _start_count(kind: str, ident: str) -> None:
    ends = timezone.now() + timedelta(seconds=_lock_seconds())
    cache.set(_ends_key(kind, ident), ends, _lock_seconds())


def _count_ends(kind: str, ident: str):
    """When the count of ``kind`` and ``ident`` ends, and with it the lock; a count
    whose end was not kept is taken as just started."""
    ends = cache.get(_ends_key(kind, ident))
    return ends or timezone.now() + timedelta(seconds=_lock_seconds())


def _caller_limit() -> int:
    return settings.OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES * 4


def _locked_error(field: str, number: str) -> ValidationFailed:
    _, left = time_left(_count_ends("card", number), timezone.now())
    message = (
        f"This gift card is locked after too many wrong PINs: try again in "
        f"{left}, or ask in a shop with the card."
    )
    return ValidationFailed(message, code="gift_card_locked", extra={field: [message]})


def _too_many_tries_error(field: str, caller: str) -> TooManyAttempts:
    """The caller's limit, not the card's: said so, so that a genuine holder is not
    told their card is locked; with the time left of the caller's count (in
    ``extra`` as ``wait`` and ``retry_at``, and ``Retry-After``)."""
    refusal = refused_until(
        _count_ends("caller", caller),
        timezone.now(),
        lambda left: (
            f"Too many wrong gift card numbers or PINs were tried from here: try "
            f"again in {left}."
        ),
    )
    refusal.extra[field] = [refusal.message]
    return refusal


def _wrong_error(field: str, left: int) -> ValidationFailed:
    message = "The gift card number or PIN is wrong."
    if left <= 2:
        message += (
            f" {left} attempt{'s' if left != 1 else ''} left before the card locks."
        )
    return ValidationFailed(message, code="gift_card_invalid", extra={field: [message]})


def authenticate_card(
    *, number: str, pin: str, caller: str = "", field: str = "gift_card", lock=False
) -> GiftCard:
    """The card of ``number`` when ``pin`` is its PIN; otherwise one answer for an
    unknown number and a wrong PIN, counted against the card and the caller.
    ``lock``: the row is read ``FOR UPDATE`` (inside the caller's transaction)."""
    number = normalize_card_number(number)
    limit = settings.OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES
    # A caller past its limit tries no PIN, so the try is not the card's to count.
    if caller and _failures("caller", caller) >= _caller_limit():
        raise _too_many_tries_error(field, caller)
    # Every try is counted before its PIN is checked (one atomic increment), so a
    # burst of tries at once checks at most ``limit`` PINs; a right one clears it.
    attempt = _count_failure("card", number)
    # Tries are counted in the shared cache: without it (the count just failed),
    # none is tried.
    require_cache("Gift cards cannot be checked right now; try again in a moment.")
    if attempt > limit:
        raise _locked_error(field, number)
    rows = GiftCard.objects.select_for_update() if lock else GiftCard.objects
    card = _card_if_pin(rows, number, pin)
    if card is not None:
        cache.delete(_fail_key("card", number))
        return card
    if caller:
        _count_failure("caller", caller)
    if attempt >= limit:
        raise _locked_error(field, number)
    raise _wrong_error(field, limit - attempt)


def _card_if_pin(rows, number: str, pin) -> GiftCard | None:
    """The card of ``number`` among ``rows`` when ``pin`` is its PIN, else None."""
    card = rows.filter(number=number).first() if number else None
    if card is None:
        make_password(str(pin))  # the same work as a real check: no timing oracle
        return None
    return card if check_password(str(pin or ""), card.pin_hash) else None


def pin_locks(numbers) -> dict:
    """The card numbers among ``numbers`` locked after wrong PINs now, each with
    when its lock ends (two reads of the cache, whatever their count)."""
    numbers = {normalize_card_number(number) for number in numbers} - {""}
    counts = cache.get_many([_fail_key("card", number) for number in numbers])
    limit = settings.OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES
    locked = [n for n in numbers if int(counts.get(_fail_key("card", n)) or 0) >= limit]
    ends = cache.get_many([_ends_key("card", number) for number in locked])
    fallback = timezone.now() + timedelta(seconds=_lock_seconds())
    return {n: ends.get(_ends_key("card", n)) or fallback for n in locked}


def pin_lock_ends(number: str):
    """When the wrong-PIN lock of the card ``number`` ends; None when it is not
    locked."""
    return pin_locks([number]).get(normalize_card_number(number))


def check_unlock_allowed(*, number: str, caller: str = "", field: str = "pin"):
    """When the lock of the card ``number`` ends, checked before anything else of
    an unlock at a counter is read: a caller past its limit is refused, a card that
    is not locked too (its PIN is tried at the ordinary check, counted there), and
    one whose lock has no tries left to unlock it."""
    number = normalize_card_number(number)
    if caller and _failures("caller", caller) >= _caller_limit():
        raise _too_many_tries_error(field, caller)
    ends = pin_lock_ends(number)
    require_cache("Gift cards cannot be checked right now; try again in a moment.")
    if ends is None:
        message = "This gift card is not locked: check its balance with its PIN."
        raise Conflict(message, code="gift_card_not_locked")
    if _failures("unlock", number) >= settings.OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES:
        raise _unlock_refused_error(field, number)
    return ends


def prove_locked_card(
    *, number: str, pin: str, caller: str = "", field: str = "pin"
) -> GiftCard:
    """The card of ``number``, locked after wrong PINs, when ``pin`` is its PIN: the
    holder's proof that unlocks it in a shop (``check_unlock_allowed`` first). Every
    try is counted against the card's lock before its PIN is checked (one atomic
    increment, whoever types it), so its lock checks at most
    ``OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES`` PINs at its unlocks; a wrong PIN (or an
    unknown number) is counted against the caller too, as at any check."""
    number = normalize_card_number(number)
    limit = settings.OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES
    attempt = _count_unlock_try(number)
    require_cache("Gift cards cannot be checked right now; try again in a moment.")
    if attempt > limit:
        raise _unlock_refused_error(field, number)
    card = _card_if_pin(GiftCard.objects, number, pin)
    if card is not None:
        return card
    if caller:
        _count_failure("caller", caller)
    message = "The gift card number or PIN is wrong: the card stays locked."
    left = limit - attempt
    if not left:
        message += " No shop unlocks it now before its lock ends; HQ may, in the admin."
    elif left <= 2:
        message += f" {left} attempt{'s' if left != 1 else ''} left to unlock it."
    raise ValidationFailed(message, code="gift_card_invalid", extra={field: [message]})


def _count_unlock_try(number: str) -> int:
    """One more PIN typed to unlock the card ``number``, in a count that ends with
    its lock (a lock anew counts afresh)."""
    key = _fail_key("unlock", number)
    left, _ = time_left(_count_ends("card", number), timezone.now())
    cache.add(key, 0, left)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, left)
        return 1


def _unlock_refused_error(field: str, number: str) -> Conflict:
    _, left = time_left(_count_ends("card", number), timezone.now())
    message = (
        "Too many wrong PINs were typed to unlock this gift card: it stays locked "
        f"for {left} more, and no shop unlocks it before. HQ may still unlock it "
        "in the admin."
    )
    return Conflict(message, code="gift_card_unlock_refused", extra={field: [message]})


def unlock_card(number: str) -> None:
    """Clear the card's wrong-PIN count, and with it its lock and the tries to
    unlock it: the PIN is tried afresh. Only through ``orders.services.giftcard_unlock``, which says who may
    and keeps who did it."""
    number = normalize_card_number(number)
    cache.delete_many(
        [
            _fail_key("card", number),
            _ends_key("card", number),
            _fail_key("unlock", number),
        ]
    )
