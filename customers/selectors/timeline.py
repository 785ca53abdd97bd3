"""The customer timeline as staff and the customer see it, a page at a time."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from customers.models import (
    Conversation,
    Customer,
    CustomerEvent,
)
from customers.selectors.team import associate_public_name

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


# Where an event names an associate who did not act: the client book's changes keep
# the associates' ids in ``data``, a message's event points at its conversation.
_NAMED_IN_DATA = ("associate", "previous")
_CONVERSATION = "conversation"


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18


def _named_staff(events: list[CustomerEvent]) -> Iterable:
    """Each user the events name (their actor, a client book change's associates, a
    message's associate); at most one query, for the associates who did not act."""
    users = {e.actor_id: e.actor for e in events if e.actor_id is not None}
    ids: set[int] = set()
    conversations: set[int] = set()
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        ids.update(data[k] for k in _NAMED_IN_DATA if isinstance(data.get(k), int))
        if event.reference_type == _CONVERSATION and _is_id(event.reference_id):
            conversations.add(int(event.reference_id))
    ids -= users.keys()
    if ids or conversations:
        associates = Conversation.objects.filter(pk__in=conversations)
        named = get_user_model().objects.filter(
            Q(pk__in=ids) | Q(pk__in=associates.values("associate_id"))
        )
        users.update((user.pk, user) for user in named)
    return users.values()


def customer_wording(staff: Iterable) -> Callable[[str], str]:
    """A text staff wrote, as its customer reads it: each of ``staff`` named in it
    by their full name is named by first name and initial ("Giulia B."), as
    everything else told to customers does. Customers among ``staff`` (the customer,
    another shopper) stay named as they wrote it."""
    names = {}
    for user in staff:
        if user is None or user.is_storefront_customer:
            continue
        full, short = user.display_name, associate_public_name(user)
        if full and full != short:
            names[full] = short
    if not names:
        return lambda text: text
    longest_first = sorted(names, key=len, reverse=True)
    alternatives = "|".join(re.escape(name) for name in longest_first)
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    return lambda text: pattern.sub(lambda found: names[found.group(0)], text or "")


def for_the_customer(events: Iterable[CustomerEvent]) -> list[CustomerEvent]:
    """The events as their customer reads them (their history, their data export):
    ``customer_summary`` names each associate by first name and initial ("Giulia
    B."), as everything else told to customers does. Summaries are stored as staff
    read them, with full names, and staff pages keep showing those; rewriting at
    read time covers the events already written as well as new ones. The actor must
    be loaded with the events (``select_related("actor")``)."""
    events = list(events)
    rewrite = customer_wording(_named_staff(events))
    for event in events:
        event.customer_summary = rewrite(event.summary)
    return events
