"""The customer timeline as staff and the customer see it, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from customers.models import (
    Customer,
    CustomerEvent,
)

TIMELINE_PAGE_SIZE = 20


# Written by staff for staff: shown in every shop, not in the customer's own history
# (the personal data export still holds them).
# Notes, and who looks after a client, are for colleagues only.
STAFF_ONLY_EVENT_KINDS = frozenset(
    {"note_added", "associate_assigned", "associate_unassigned"}
)


def timeline_queryset(
    customer: Customer, *, for_customer: bool = False
) -> QuerySet[CustomerEvent]:
    events = CustomerEvent.objects.filter(customer=customer)
    if for_customer:
        events = events.exclude(kind__in=STAFF_ONLY_EVENT_KINDS)
    return events.select_related("actor", "location").order_by("-occurred_at", "-id")


# Pages past this are empty: the offset stays within what the database binds.
MAX_PAGE = 10**9


@dataclass
class TimelinePage:
    events: list[CustomerEvent]
    page: int
    has_next: bool

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.has_next else None


def timeline(
    customer: Customer, *, page: int = 1, page_size: int = TIMELINE_PAGE_SIZE
) -> TimelinePage:
    """One page of the timeline, newest first, in one query. A page past any the
    database can reach (an offset beyond 64 bits) is an empty one."""
    page = min(max(int(page or 1), 1), MAX_PAGE)
    start = (page - 1) * page_size
    rows = list(timeline_queryset(customer)[start : start + page_size + 1])
    return TimelinePage(
        events=rows[:page_size], page=page, has_next=len(rows) > page_size
    )
