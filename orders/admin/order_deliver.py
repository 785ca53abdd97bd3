"""The order list's *Mark delivered*: the page it draws before it acts (the shipped
deliveries it will mark, from then on their points can be spent and their return
window runs, which nobody takes back, and the selected orders it leaves as they are,
with why), and the confirming post, which sorts the selection again by the same rule
and marks only the orders to move."""

from __future__ import annotations

from django.contrib import messages
from django.utils import timezone

from customers.selectors.team import associate_public_name
from omnistore.core.admin_confirm import SHOWN, confirmation_page
from omnistore.core.exceptions import ApplicationError
from orders.models import OrderStatus
from orders.selectors.access import may_confirm_delivery
from orders.services.fulfilment import can_move, mark_delivered

SAYS = (
    "Each customer has the parcel from now: the order's points can be spent and its "
    "return window starts today. Each order's history records who marked it."
)


def _row(order) -> tuple:
    shipped = order.shipped_at
    return (
        order.number,
        order.customer or order.email or "—",
        timezone.localtime(shipped).strftime("%d %b %Y") if shipped else "—",
        f"{order.total} {order.currency}",
    )


def _sorted(user, queryset) -> tuple[list, list]:
    """The orders that will move, and those left with why."""
    moving, left = [], []
    orders = queryset.select_related("customer").prefetch_related("fulfilments")
    for order in orders.order_by("id"):
        if not can_move(order, OrderStatus.DELIVERED):
            status = order.get_status_display().lower()
            left.append((order.number, f"{status}, not a shipped delivery"))
        elif not may_confirm_delivery(user, order):
            left.append((order.number, "left from none of your locations"))
        else:
            moving.append(order)
    return moving, left


def delivery_confirmation(model_admin, request, queryset):
    """The page listing the orders to mark (the first ``SHOWN``) and those left;
    none to mark: no page, the list again saying why."""
    moving, left = _sorted(request.user, queryset)
    if not moving:
        why = "; ".join(f"{number}: {reason}" for number, reason in left[:SHOWN])
        model_admin.message_user(
            request,
            f"None of these orders can be marked delivered ({why}).",
            messages.WARNING,
        )
        return None
    count = len(moving)
    return confirmation_page(
        model_admin,
        request,
        queryset,
        title=f"Mark {count} order{'s' if count != 1 else ''} delivered",
        says=SAYS,
        button="Mark these orders delivered",
        count=count,
        columns=["Order", "Customer", "Shipped", "Total"],
        rows=(_row(order) for order in moving[:SHOWN]),
        template="admin/orders/order/deliver_confirmation.html",
        left=left[:SHOWN],
        left_count=len(left),
    )


def deliver_confirmed(model_admin, request, queryset) -> None:
    """Each order the page listed to mark through ``mark_delivered`` (one
    transaction each), sorted again as the page sorts them (``_sorted``): the
    orders it said it leaves are left, and said so. Each history says why it
    moved, as its customer reads it there: staff named by first name and initial,
    as customers are told who served them. A refusal meanwhile (moved since the
    page) is reported by its number."""
    user = request.user
    who = associate_public_name(user) if user.first_name.strip() else ""
    note = f"Marked delivered in the back office by {who or 'a member of staff'}"
    moving, left = _sorted(user, queryset)
    done, refused = [], []
    for order in moving:
        try:
            mark_delivered(order=order, actor=user, note=note)
        except ApplicationError as error:
            refused.append(error.message.rstrip("."))
        else:
            done.append(order.number)
    if done:
        model_admin.message_user(
            request,
            f"Marked {len(done)} order{'s' if len(done) != 1 else ''} delivered: "
            f"{', '.join(done)}.",
            messages.SUCCESS,
        )
    if left:
        why = "; ".join(f"{number}: {reason}" for number, reason in left[:SHOWN])
        model_admin.message_user(
            request, f"Left as they are ({len(left)}): {why}.", messages.INFO
        )
    if refused:
        model_admin.message_user(
            request,
            f"{len(refused)} not marked delivered: {'; '.join(refused)}.",
            messages.ERROR,
        )
