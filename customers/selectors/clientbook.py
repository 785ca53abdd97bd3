"""Reads of the client book: an associate's clients with what is new about them, and
the tasks a staff member sees. Each is a fixed number of queries, however many clients
or tasks there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.clienteling import (
    CANCEL_EVENT,
    COLLECT_EVENT,
    PURCHASE_EVENT,
    WISHLIST_EVENTS,
)
from customers.models import ClientTask, Customer, CustomerEvent, TaskStatus
from omnistore.accounts.scoping import scope_to_shops, shop_ids
from omnistore.core.channels import Channel

CLIENT_TABS = {
    "all": "All",
    "in_shop": "In the shop today",
    "purchases": "Recent purchases",
    "wishlist": "Wishlist news",
    "birthdays": "Birthdays",
    "lapsed": "Lapsed",
}
ACTIVITY_SHOWN = 4
TASKS_SHOWN = 200


@dataclass
class ClientRow:
    customer: Customer
    last_purchase_at: dt.datetime | None
    in_shop_today: bool
    open_tasks: int
    next_birthday: dt.date | None
    lapsed: bool
    purchases: list = field(default_factory=list)
    wishlist: list = field(default_factory=list)

    @property
    def birthday_soon(self) -> bool:
        return self.next_birthday is not None

    def in_tab(self, tab: str) -> bool:
        return {
            "all": True,
            "in_shop": self.in_shop_today,
            "purchases": bool(self.purchases),
            "wishlist": bool(self.wishlist),
            "birthdays": self.birthday_soon,
            "lapsed": self.lapsed,
        }[tab]


def next_birthday(birthday: dt.date | None, today: dt.date, days: int):
    """The birthday's next day from ``today`` when it is at most ``days`` away (29
    February is kept on the 28th in a common year), else None."""
    if birthday is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:  # 29 February in a common year
            day = dt.date(year, 2, 28)
        if today <= day <= today + dt.timedelta(days=days):
            return day
    return None


def open_task_filter(today: dt.date) -> Q:
    """Open, or snoozed until a day that has come."""
    return Q(status=TaskStatus.OPEN) | Q(
        status=TaskStatus.SNOOZED, snoozed_until__lte=today
    )


def cancelled_purchase() -> Q:
    """A purchase event whose order was cancelled since: orders writes
    ``CANCEL_EVENT`` with the same order reference. Such an order is no purchase for
    the client book: no follow-up, no recent or last purchase."""
    return Q(kind=PURCHASE_EVENT) & Exists(
        CustomerEvent.objects.filter(
            kind=CANCEL_EVENT,
            reference_type=OuterRef("reference_type"),
            reference_id=OuterRef("reference_id"),
            occurred_at__gte=OuterRef("occurred_at"),
        )
    )


def client_book(associate, *, shop=None, now=None) -> list[ClientRow]:
    """Every live client of ``associate``, by name, with the purchases (any channel,
    cancelled orders left out) and wishlist news of the last
    ``OMNISTORE_CLIENTBOOK_RECENT_DAYS``, a birthday in the coming month, lapsed (no
    purchase for ``OMNISTORE_CLIENTBOOK_LAPSED_DAYS``), in the shop today (a sale
    today at ``shop``'s counter, or an order collected there today: an order placed
    online for pickup there, or taken there by phone, names the shop too but is no
    visit) and the open tasks about them ``associate`` sees (``visible_tasks``, as
    on the 360° card and the task page). Two queries (and a manager's shops, once
    per login)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_of_day = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    recent = settings.OMNISTORE_CLIENTBOOK_RECENT_DAYS
    purchases = CustomerEvent.objects.filter(
        customer=OuterRef("pk"), kind=PURCHASE_EVENT
    ).exclude(cancelled_purchase())
    open_tasks = (
        visible_tasks(associate)
        .filter(open_task_filter(today), customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    clients = list(
        Customer.objects.filter(
            assigned_associate=associate,
            merged_into__isnull=True,
            is_anonymised=False,
        )
        .annotate(
            last_purchase_at=Subquery(
                purchases.order_by("-occurred_at").values("occurred_at")[:1]
            ),
            in_shop_today=Exists(
                CustomerEvent.objects.filter(
                    Q(kind=PURCHASE_EVENT, channel=Channel.STORE)
                    | Q(kind=COLLECT_EVENT),
                    customer=OuterRef("pk"),
                    location_id=getattr(shop, "pk", None),
                    occurred_at__gte=start_of_day,
                )
            ),
            open_task_count=Coalesce(
                Subquery(open_tasks, output_field=IntegerField()), 0
            ),
        )
        .order_by("first_name", "last_name", "pk")
    )
    events: dict[int, list] = {}
    for event in (
        CustomerEvent.objects.filter(
            customer_id__in=[c.pk for c in clients],
            kind__in=(PURCHASE_EVENT, *WISHLIST_EVENTS),
            occurred_at__gte=now - dt.timedelta(days=recent),
        )
        .exclude(cancelled_purchase())
        .select_related("location")
        .order_by("-occurred_at", "-pk")
    ):
        events.setdefault(event.customer_id, []).append(event)
    lapsed_before = now - dt.timedelta(days=settings.OMNISTORE_CLIENTBOOK_LAPSED_DAYS)
    rows = []
    for customer in clients:
        mine = events.get(customer.pk, [])
        last = customer.last_purchase_at
        rows.append(
            ClientRow(
                customer=customer,
                last_purchase_at=last,
                in_shop_today=customer.in_shop_today,
                open_tasks=customer.open_task_count,
                next_birthday=next_birthday(customer.birthday, today, recent),
                lapsed=(last or customer.created_at) < lapsed_before,
                purchases=[e for e in mine if e.kind == PURCHASE_EVENT][
                    :ACTIVITY_SHOWN
                ],
                wishlist=[e for e in mine if e.kind in WISHLIST_EVENTS][
                    :ACTIVITY_SHOWN
                ],
            )
        )
    return rows


# --- Tasks ------------------------------------------------------------------------


def visible_tasks(user):
    """Tasks ``user`` may see: their own, and a manager's shops' (HQ: all)."""
    mine = Q(assignee=user)
    if not getattr(user, "is_manager", False):
        return ClientTask.objects.filter(mine)
    ids = shop_ids(user)
    if ids is None:
        return ClientTask.objects.all()
    return ClientTask.objects.filter(mine | Q(shop_id__in=ids))


def task_list(user, *, scope: str = "mine", status: str = "open", today=None):
    """The task page's rows: ``scope`` "mine" or "team" (managers: their shops'),
    ``status`` "open" (snoozed ones whose day came included), "snoozed" or "done"
    (latest first). One query."""
    today = today or timezone.localdate()
    tasks = visible_tasks(user)
    if scope == "team" and getattr(user, "is_manager", False):
        tasks = scope_to_shops(tasks, ("shop",), shop_ids(user))
    else:
        tasks = tasks.filter(assignee=user)
    if status == "done":
        tasks = tasks.filter(status=TaskStatus.DONE).order_by("-done_at", "-pk")
    elif status == "snoozed":
        tasks = tasks.filter(status=TaskStatus.SNOOZED, snoozed_until__gt=today)
        tasks = tasks.order_by("snoozed_until", "pk")
    else:
        tasks = tasks.filter(open_task_filter(today)).order_by("due_on", "pk")
    return tasks.select_related("customer", "assignee", "shop")[:TASKS_SHOWN]


def task_counts(user, *, today=None) -> dict[str, int]:
    """Open tasks due by today: the user's, and (managers) their team's. One query."""
    today = today or timezone.localdate()
    open_ = open_task_filter(today)
    due = open_ & (Q(due_on__lte=today) | Q(status=TaskStatus.SNOOZED))
    tasks = visible_tasks(user)
    counts = tasks.aggregate(
        mine=Count("pk", filter=open_ & Q(assignee=user)),
        mine_due=Count("pk", filter=due & Q(assignee=user)),
        team=Count("pk", filter=open_),
    )
    if not getattr(user, "is_manager", False):
        counts["team"] = 0
    return counts


def customer_tasks(customer, user, *, today=None):
    """Open tasks about one customer that ``user`` sees (the 360° card)."""
    today = today or timezone.localdate()
    return (
        visible_tasks(user)
        .filter(open_task_filter(today), customer=customer)
        .select_related("assignee")
        .order_by("due_on", "pk")
    )
