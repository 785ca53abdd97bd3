"""The customer timeline: the one writer every app records its events through."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from customers.models import (
    Customer,
    CustomerEvent,
    StaffNote,
)
from customers.selectors.identities import (
    current_profile,
    resolve_customer,
)
from customers.services.identities import lock_live_profile
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.db import insert_rows
from omnistore.core.exceptions import ValidationFailed

# Timeline kinds written by this app; other apps pass their own strings.
EVENT_CREATED = "customer_created"
EVENT_IDENTITY_ADDED = "identity_added"
EVENT_PROFILE_UPDATED = "profile_updated"
EVENT_CONSENT_GRANTED = "consent_granted"
EVENT_CONSENT_WITHDRAWN = "consent_withdrawn"
EVENT_NOTE_ADDED = "note_added"
EVENT_MERGED = "customer_merged"
EVENT_ERASED = "customer_erased"
EVENT_POINTS_EARNED = "points_earned"
EVENT_POINTS_REVERSED = "points_reversed"
EVENT_POINTS_SPENT = "points_spent"
EVENT_POINTS_GIVEN_BACK = "points_given_back"


# --- Timeline -----------------------------------------------------------------------


def record_event(
    *,
    customer: Customer,
    kind: str,
    summary: str,
    actor=None,
    location=None,
    channel: str = "",
    data: dict | None = None,
    reference_type: str = "",
    reference_id: str = "",
    occurred_at=None,
    locked: bool = False,
) -> CustomerEvent:
    """The one writer of the customer timeline, used by every app.

    The event goes to the survivor when ``customer`` was merged meanwhile (one read),
    unless the caller says the row is ``locked``: it holds the live profile's row lock
    in this transaction (``match_customer``, a points booking), so no merge can have
    moved it.
    """
    if not kind:
        raise ValidationFailed("An event needs a kind.", extra={"kind": ["Required."]})
    if not locked:
        customer = current_profile(customer)
    event = CustomerEvent(
        customer=customer,
        kind=kind[:40],
        summary=(summary or "")[:255],
        actor=acting_user(actor),
        location=location,
        channel=channel or "",
        data=data or {},
        reference_type=reference_type or "",
        reference_id=str(reference_id or ""),
        occurred_at=occurred_at or timezone.now(),
    )
    insert_rows([event])
    return event


def changes_said(
    changed, before: dict, after: dict, *, names: dict | None = None, unsaid=()
) -> str:
    """What a correction changed, as the timeline says it: "city Milano → Torino,
    default no → yes" (each value cut to 40 characters; the event's ``data`` keeps
    them whole). Fields in ``unsaid`` are named without their values."""
    said = []
    for field in changed:
        name = (names or {}).get(field, field.replace("_", " "))
        if field in unsaid:
            said.append(name)
            continue
        was, now = (_value_said(before[field]), _value_said(after[field]))
        said.append(f"{name} {was} → {now}")
    return ", ".join(said)


# How much of a value a change says (what was cut ends in "…"; the event's data
# keeps it whole).
SAID_MAX = 60


def _value_said(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in (None, ""):
        return "(none)"
    text = str(value)
    return text if len(text) <= SAID_MAX else text[: SAID_MAX - 1] + "…"


_EVENT_FIELDS = frozenset(
    {
        "customer",
        "kind",
        "summary",
        "actor",
        "location",
        "channel",
        "data",
        "reference_type",
        "reference_id",
        "occurred_at",
    }
)


def survivors_of(ids) -> dict[int, int]:
    """The survivor's id of each merged profile among ``ids``, in one read (live
    profiles are left out: they are their own)."""
    moved = Customer.objects.filter(pk__in=set(ids), merged_into__isnull=False)
    return {
        pk: resolve_customer(into).pk
        for pk, into in moved.values_list("pk", "merged_into_id")
    }


def record_events(
    events: list[dict], *, locked: bool = False, survivors: dict | None = None
) -> int:
    """Many timeline rows in one INSERT (a campaign batch of sends), each dict taking
    ``record_event``'s arguments under the same rules: a kind is required (nothing is
    written when one lacks it), texts are cut to their columns, and an event of a
    merged profile goes to the survivor — found in one read for the whole batch,
    unless the caller holds the live profiles' row locks (``locked``, a points
    booking) or read them already (``survivors``, from ``survivors_of`` for a
    drain's rows). Returns the number of rows written."""
    events = list(events)
    for index, event in enumerate(events):
        unknown = set(event) - _EVENT_FIELDS
        if unknown:
            raise TypeError(f"Unknown event field(s): {', '.join(sorted(unknown))}.")
        if not event.get("kind"):
            raise ValidationFailed(
                "An event needs a kind.",
                extra={"kind": [f"Required (event {index + 1} of {len(events)})."]},
            )
    if not events:
        return 0
    if locked:
        survivors = {}
    elif survivors is None:
        survivors = survivors_of(
            getattr(e["customer"], "pk", e["customer"]) for e in events
        )
    now = timezone.now()
    rows = []
    for event in events:
        customer_id = getattr(event["customer"], "pk", event["customer"])
        actor = event.get("actor")
        rows.append(
            CustomerEvent(
                customer_id=survivors.get(customer_id, customer_id),
                kind=event["kind"][:40],
                summary=(event.get("summary") or "")[:255],
                actor=acting_user(actor),
                location=event.get("location"),
                channel=event.get("channel") or "",
                data=event.get("data") or {},
                reference_type=event.get("reference_type") or "",
                reference_id=str(event.get("reference_id") or ""),
                occurred_at=event.get("occurred_at") or now,
            )
        )
    insert_rows(rows)
    return len(rows)


@transaction.atomic
def add_note(*, customer: Customer, text: str, actor, location=None) -> StaffNote:
    """A staff note, shown on the timeline so every shop sees it (and the customer,
    in their data export). Refused for an erased profile, as every write is."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Write a note first.", extra={"text": ["Required."]})
    if len(text) > 2000:
        raise ValidationFailed(
            "Keep notes under 2000 characters.", extra={"text": ["Too long."]}
        )
    customer = lock_live_profile(customer)
    note = StaffNote.objects.create(
        customer=customer, text=text, author=actor, location=location
    )
    record_event(
        customer=customer,
        kind=EVENT_NOTE_ADDED,
        summary=text if len(text) <= 255 else text[:254] + "…",
        actor=actor,
        location=location,
        channel=Channel.STORE if location is not None else "",
        reference_type="staff_note",
        reference_id=str(note.pk),
        locked=True,
    )
    return note
