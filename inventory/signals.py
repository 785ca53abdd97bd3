"""Domain events other apps subscribe to, and questions they answer, so inventory
never imports them.

``stock_changed`` carries ``changes``: a list of ``(variant_id, location_id)`` pairs whose
level moved, except holds (reservations) that left units free at their location beyond
the safety stock: those can neither bring an item back nor empty a location. Higher apps
(campaigns: back in stock) listen without inventory importing them. It is sent after
commit.

``location_in_use_as_shop`` is asked, not announced (``shop_uses``): before a location
stops serving as a shop (made a warehouse, its counter closed, taken out of use), each
receiver answers what still keeps it in use as one, in words (orders: a till session
open there, pickup orders for it not yet handed over); none answered, it may go.

``transfer_purpose`` is asked too (``purpose_of``): what the units of a transfer made
for something (its ``reference_type``: an order travelling to its pickup shop) are
for now, for the transfer's page. The app behind the reference answers with a
``TransferPurpose``, only reading. Unlike ``still_wanted`` (``transfer_arriving``),
which tells a receipt whether to hold what arrives on this very transfer, it also
says when what the reference waits for comes on another transfer (this one closed
short and the missing units asked again) or was handed over already.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.dispatch import Signal

stock_changed = Signal()

location_in_use_as_shop = Signal()


def shop_uses(location) -> list[str]:
    """What keeps ``location`` in use as a shop, each reason in words; empty when
    nothing does."""
    reasons: list[str] = []
    for _receiver, answer in location_in_use_as_shop.send(
        sender=type(location), location=location
    ):
        reasons.extend(answer or ())
    return reasons


transfer_purpose = Signal()

# What a transfer's reference answers of its units (``TransferPurpose.state``).
WAITS = "waits"  # it waits for them, on this transfer
MOVED = "moved"  # it waits, but what did not arrive comes on ``now_on``
DONE = "done"  # it has had them: handed over (an order collected)
FREED = "freed"  # it no longer wants them (an order cancelled): free stock


@dataclass(frozen=True)
class TransferPurpose:
    """What a transfer's units are for now: ``state`` (``WAITS``, ``MOVED``,
    ``DONE``, ``FREED``) and, when ``MOVED``, the transfer bringing what this one
    did not (``now_on``)."""

    state: str
    now_on: object = None


def purpose_of(transfer) -> TransferPurpose | None:
    """What ``transfer``'s units are for now, as the app behind its reference
    answers; None for a transfer made for nothing, or when no app answers."""
    if not transfer.reference_type:
        return None
    for _receiver, answer in transfer_purpose.send(
        sender=type(transfer), transfer=transfer
    ):
        if answer is not None:
            return answer
    return None
