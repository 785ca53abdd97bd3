"""Which moves need a manager, from the settings (read at each call, never at import).

| kind | setting | needs approval when |
|---|---|---|
| refund | ``OMNISTORE_APPROVAL_REFUND_ABOVE`` | the order's refunds, this one too, pass it |
| return outside the window | ``OMNISTORE_APPROVAL_RETURN_OUTSIDE_WINDOW`` | on |
| return without a receipt | ``OMNISTORE_APPROVAL_RETURN_WITHOUT_RECEIPT`` | on |
| price override | ``OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT`` | the cut is above it; any raise |
| discount | ``OMNISTORE_APPROVAL_DISCOUNT_ABOVE_PERCENT`` | the cut is above it |
| till over/short | ``OMNISTORE_TILL_TOLERANCE`` | the difference is beyond it |
| pickup by identity | ``OMNISTORE_APPROVAL_PICKUP_BY_IDENTITY`` | on |
| gift card void | ``OMNISTORE_APPROVAL_GIFT_CARD_VOID`` | on |
| delivery fee waived | ``OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER`` | on |
| locked pickup unlocked | ``OMNISTORE_APPROVAL_PICKUP_UNLOCK`` | on |
| locked gift card unlocked | ``OMNISTORE_APPROVAL_GIFT_CARD_UNLOCK`` | on |

A threshold set to ``None`` turns that approval off.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from .models import ApprovalKind

THRESHOLDS = {
    ApprovalKind.REFUND: "OMNISTORE_APPROVAL_REFUND_ABOVE",
    ApprovalKind.PRICE_OVERRIDE: "OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT",
    ApprovalKind.DISCOUNT: "OMNISTORE_APPROVAL_DISCOUNT_ABOVE_PERCENT",
    ApprovalKind.TILL_OVER_SHORT: "OMNISTORE_TILL_TOLERANCE",
}
FLAGS = {
    ApprovalKind.RETURN_OUTSIDE_WINDOW: "OMNISTORE_APPROVAL_RETURN_OUTSIDE_WINDOW",
    ApprovalKind.RETURN_WITHOUT_RECEIPT: "OMNISTORE_APPROVAL_RETURN_WITHOUT_RECEIPT",
    ApprovalKind.PICKUP_BY_IDENTITY: "OMNISTORE_APPROVAL_PICKUP_BY_IDENTITY",
    # No gift card can be voided yet: the void's service checks this when it comes.
    ApprovalKind.GIFT_CARD_VOID: "OMNISTORE_APPROVAL_GIFT_CARD_VOID",
    ApprovalKind.DELIVERY_FEE_WAIVER: "OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER",
    ApprovalKind.PICKUP_UNLOCK: "OMNISTORE_APPROVAL_PICKUP_UNLOCK",
    ApprovalKind.GIFT_CARD_UNLOCK: "OMNISTORE_APPROVAL_GIFT_CARD_UNLOCK",
}


def threshold(kind: str) -> Decimal | None:
    value = getattr(settings, THRESHOLDS[kind], None)
    return None if value is None else Decimal(value)


def approval_needed(kind: str, *, amount: Decimal | None = None) -> bool:
    """For a threshold kind, ``amount`` is the refund total, the percentage taken off
    or the till's over/short (either sign); a flag kind ignores it."""
    if kind in FLAGS:
        return bool(getattr(settings, FLAGS[kind], True))
    limit = threshold(kind)
    if limit is None or amount is None:
        return False
    return abs(Decimal(amount)) > limit
