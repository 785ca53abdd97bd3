"""How often a login may ask for codes and try receipts (``verification``).

Limits are counts of ``VerificationCode`` rows in the last ``WINDOW``: codes sent per
login, per login and address, and per address whoever asks (so many logins cannot
pump messages to a stranger); wrong receipt claims per login and per order number.
For the login whose own email the address is, the count per address leaves out the
codes other live logins asked for it: others asking cannot keep its owner from
proving it, while closed logins' codes still count (signing up with an address,
asking, erasing and signing up again does not start a fresh count). A refusal says
when the limit lets the next one by (``retry_at``).

A closed login's rows keep their address or order number only as a keyed digest
(``forgotten_target``), still counted, so erasing a login does not reset a limit.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils import timezone
from django.utils.crypto import salted_hmac

from customers.models import VerificationCode, VerificationKind, VerificationStatus
from customers.normalize import normalize_email
from omnistore.core.exceptions import ApplicationError

WINDOW = timedelta(hours=1)
SENDS_PER_LOGIN = 5
SENDS_PER_TARGET = 3  # per login and address
SENDS_PER_ADDRESS = 10  # per address, whoever asks
RECEIPT_FAILURES = 5  # per login, and per order number
FORGOTTEN = "#"
TOO_MANY_TO_TARGET = "Too many codes sent to this address"


class TooManyAttempts(ApplicationError):
    """A limit reached; ``retry_at``, when known, is when it lets the next one by
    (the API sends the seconds left as ``Retry-After``)."""

    status = 429
    default_code = "too_many_attempts"

    def __init__(self, message, code=None, extra=None, *, retry_at=None):
        super().__init__(message, code, extra)
        self.retry_at = retry_at

    def retry_after(self) -> int | None:
        """Whole seconds from now until ``retry_at`` (at least 1); None when it is
        not known."""
        if self.retry_at is None:
            return None
        return time_left(self.retry_at, timezone.now())[0]


def time_left(retry_at, now) -> tuple[int, str]:
    """The wait until ``retry_at``: in whole seconds, at least 1, and in words, in
    whole minutes ("12 minutes")."""
    wait = max(1, math.ceil((retry_at - now).total_seconds()))
    minutes = math.ceil(wait / 60)
    return wait, f"{minutes} minute{'' if minutes == 1 else 's'}"


def refused_until(retry_at, now, words) -> TooManyAttempts:
    """The refusal of a limit that lets the next one by at ``retry_at``: the time
    left in its message (``words``, given it as "12 minutes"), in seconds
    (``extra["wait"]``) and as the moment (``extra["retry_at"]``)."""
    wait, left = time_left(retry_at, now)
    return TooManyAttempts(
        words(left),
        extra={"retry_at": retry_at.isoformat(), "wait": wait},
        retry_at=retry_at,
    )


def forgotten_target(kind: str, target: str) -> str:
    """What a closed login's code keeps of its address or order number: a keyed
    digest, enough to count it, nothing to read."""
    digest = salted_hmac("verification-target", f"{kind}:{target}").hexdigest()
    return f"{FORGOTTEN}{digest[:40]}"


def counted_targets(kind: str, target: str) -> list[str]:
    """An address or order number as it is counted: itself, and as a closed login's
    code keeps it."""
    return [target, forgotten_target(kind, target)]


def check_send_limits(user, kind: str, target: str, now) -> None:
    """Raises ``TooManyAttempts`` when ``user`` may not be sent another code to
    ``target`` now."""
    recent = VerificationCode.objects.filter(
        kind__in=[VerificationKind.EMAIL, VerificationKind.PHONE],
        created_at__gte=now - WINDOW,
    )
    to_target = recent.filter(kind=kind, target__in=counted_targets(kind, target))
    limits = [
        (recent.filter(user=user), SENDS_PER_LOGIN, "Too many codes asked for"),
        (to_target.filter(user=user), SENDS_PER_TARGET, TOO_MANY_TO_TARGET),
    ]
    own = kind == VerificationKind.EMAIL and normalize_email(user.email) == target
    if own:  # what other live logins asked for this address is not the owner's
        others = to_target.filter(user__is_active=True).exclude(
            user__email__iexact=target
        )
        to_target = to_target.exclude(pk__in=others.values("pk"))
    limits.append((to_target, SENDS_PER_ADDRESS, TOO_MANY_TO_TARGET))
    for rows, limit, reason in limits:
        refusal = _over_limit(rows, limit, reason, now)
        if refusal is not None:
            raise refusal


def receipt_refusal(user, number: str, now) -> TooManyAttempts | None:
    failed = VerificationCode.objects.filter(
        kind=VerificationKind.RECEIPT,
        status=VerificationStatus.REFUSED,
        created_at__gte=now - WINDOW,
    )
    by_number = failed.filter(
        target__in=counted_targets(VerificationKind.RECEIPT, number)
    )
    reason = "Too many wrong claims"
    return _over_limit(failed.filter(user=user), RECEIPT_FAILURES, reason, now) or (
        _over_limit(by_number, RECEIPT_FAILURES, reason, now)
    )


def _over_limit(rows, limit: int, reason: str, now) -> TooManyAttempts | None:
    """The refusal once ``rows`` of the last hour reach ``limit``: the next is let by
    when the oldest of the ``limit`` newest leaves the hour."""
    times = rows.order_by("-created_at").values_list("created_at", flat=True)
    times = list(times[:limit])
    if len(times) < limit:
        return None
    return refused_until(
        times[-1] + WINDOW, now, lambda left: f"{reason}; try again in {left}."
    )
