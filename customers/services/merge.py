"""Deciding a duplicate pair: merged into one profile, or dismissed.

A merged profile keeps its id: ``merged_into`` leads to the survivor.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.defaultfilters import pluralize
from django.utils import timezone

from customers.models import (
    Consent,
    ConsentChange,
    ConsentChannel,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
    IdentityKind,
)
from customers.selectors.merge import kept_apart, merged_already
from customers.services.addresses import fold_addresses
from customers.services.clientbook import EVENT_ASSOCIATE_UNASSIGNED, associate_name
from customers.services.loyalty import settle_points_owed
from customers.services.matching import flag_duplicate
from customers.services.tasks import fold_merged_tasks
from customers.services.timeline import (
    EVENT_MERGED,
    record_event,
)
from customers.services.wishlist_merge import fold_wishlists
from customers.signals import customer_merged, customer_merging
from omnistore.core import webhooks
from omnistore.core.actors import acting_user
from omnistore.core.dberrors import run_again_if_victim
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed


@transaction.atomic
def dismiss_duplicate(*, candidate: DuplicateCandidate, actor) -> DuplicateCandidate:
    """Staff decided the two profiles are different people."""
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateStatus.PENDING:
        raise Conflict("This pair was already decided.")
    candidate.status = DuplicateStatus.DISMISSED
    candidate.resolved_by = actor
    candidate.resolved_at = timezone.now()
    candidate.save(update_fields=["status", "resolved_by", "resolved_at"])
    return candidate


# --- Merge --------------------------------------------------------------------------


# Relations to Customer that the merge handles itself rather than re-pointing.
_MERGE_OWN = {CustomerMerge, DuplicateCandidate, Consent}


def _reverse_relations():
    """Every foreign key (and m2m through-table key) pointing at Customer, in any app.

    ``_meta.related_objects`` hides relations declared with ``related_name="+"``; they
    must move too, so hidden ones are included (m2m are reached by their through table).
    """
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        if rel.many_to_many:
            continue
        model = rel.related_model
        if model in _MERGE_OWN or model._meta.proxy:
            continue
        yield model, rel.field


def _move_rows(model, field, *, survivor: Customer, other: Customer) -> tuple[int, int]:
    """Re-point rows from ``other`` to ``survivor``; returns (moved, kept behind).

    A row whose move would break a uniqueness rule (one per customer) stays where it
    is; the app owning it folds it in from ``customer_merging``.
    """
    manager = model._base_manager
    rows = manager.filter(**{field.attname: other.pk})
    if field.unique:
        if manager.filter(**{field.attname: survivor.pk}).exists():
            return 0, rows.count()
        return rows.update(**{field.attname: survivor.pk}), 0
    try:
        with transaction.atomic():
            return rows.update(**{field.attname: survivor.pk}), 0
    except IntegrityError:
        pass
    moved = kept = 0
    for pk in rows.values_list("pk", flat=True).order_by("pk"):
        try:
            with transaction.atomic():
                manager.filter(pk=pk).update(**{field.attname: survivor.pk})
            moved += 1
        except IntegrityError:
            kept += 1
    return moved, kept


def _given_by_the_customer(consent: Consent, logins: set[int]) -> bool:
    """Said by the person from their own account (signed in), not recorded for them
    by an associate nor ticked by a visitor nobody identified."""
    return consent.actor_id is not None and consent.actor_id in logins


def _merged_decision(
    mine: Consent, theirs: Consent, logins: set[int]
) -> tuple[Consent, Consent | None]:
    """The decision in force once the two profiles are one, and the later yes set
    aside to get it (or None).

    The later decision wins, with the counter's rule (``record_counter_consent``): a
    customer who said no opts in again themselves, from their account. So a no on
    either profile stands against any later yes but one the customer gave signed in;
    an associate's yes (a counter registration ticked by habit) never undoes it."""
    later, earlier = sorted((mine, theirs), key=lambda c: c.updated_at, reverse=True)
    if (
        later.granted
        and not earlier.granted
        and not _given_by_the_customer(later, logins)
    ):
        return earlier, later
    return later, None


def _merge_consents(survivor: Customer, other: Customer, *, actor) -> dict:
    """One decision per channel on the survivor (``_merged_decision``); both
    profiles' histories move to the survivor with the other rows. Where a later yes
    was set aside, the history records the merge keeping the no (now, by the merging
    user), so its latest entry is the decision in force."""
    mine = {c.channel: c for c in Consent.objects.filter(customer=survivor)}
    logins = {pk for pk in (survivor.user_id, other.user_id) if pk is not None}
    moved = 0
    kept_no: list[str] = []
    for theirs in Consent.objects.filter(customer=other).select_related("location"):
        current = mine.get(theirs.channel)
        if current is None:
            theirs.customer = survivor
            theirs.save(update_fields=["customer"])
            moved += 1
            continue
        decision, set_aside = _merged_decision(current, theirs, logins)
        if decision is theirs:
            for f in ("granted", "source_channel", "location", "actor", "updated_at"):
                setattr(current, f, getattr(theirs, f))
            current.save()
            moved += 1
        theirs.delete()
        if set_aside is not None:
            ConsentChange.objects.create(
                customer=survivor,
                channel=decision.channel,
                granted=decision.granted,
                source_channel=decision.source_channel,
                location=decision.location,
                actor=acting_user(actor),
                at=timezone.now(),
            )
            kept_no.append(decision.channel)
    return {"moved": moved, "withdrawn_kept": sorted(kept_no)}


def _merge_duplicates(survivor: Customer, other: Customer, actor) -> None:
    now = timezone.now()
    pair = sorted([survivor.pk, other.pk])
    DuplicateCandidate.objects.filter(
        customer_a_id=pair[0], customer_b_id=pair[1]
    ).update(status=DuplicateStatus.MERGED, resolved_by=actor, resolved_at=now)
    pending = DuplicateCandidate.objects.filter(
        Q(customer_a=other) | Q(customer_b=other), status=DuplicateStatus.PENDING
    )
    for candidate in pending:
        third_id = (
            candidate.customer_b_id
            if candidate.customer_a_id == other.pk
            else candidate.customer_a_id
        )
        if third_id != survivor.pk:
            third = Customer(pk=third_id)
            flag_duplicate(
                customer=survivor,
                other=third,
                reason=candidate.reason,
                channel=candidate.channel,
            )
    pending.update(status=DuplicateStatus.MERGED, resolved_by=actor, resolved_at=now)


def _no_longer_leading(survivor: Customer, other: Customer) -> list[str]:
    """The survivor's emails and phones that stop leading to it once the merge
    brings it the other's login: typed online and never proven (``leads_to_login``),
    one of them would hand the login every later order placed with it, so a guest
    order with it makes its own profile, flagged, until the customer confirms it (a
    code sent there, or given in person). Those proven, or given at a shop or on
    the phone, keep leading to it."""
    if survivor.user_id is not None or other.user_id is None:
        return []
    return list(
        CustomerIdentity.objects.filter(
            ~CustomerIdentity.proven_q(),
            customer=survivor,
            kind__in=[IdentityKind.EMAIL, IdentityKind.PHONE],
        )
        .order_by("kind", "value")
        .values_list("value", flat=True)
    )


def _lock_pair(survivor: Customer, other: Customer) -> tuple[Customer, Customer]:
    """Both rows locked in pk order (the order every merge uses), both still live."""
    if survivor.pk == other.pk:
        raise ValidationFailed(
            "Choose two different customers.", extra={"other": ["Same customer."]}
        )
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update(no_key=True)
        .filter(pk__in=[survivor.pk, other.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise NotFound("Customer not found.")
    survivor, other = locked[survivor.pk], locked[other.pk]
    refusal = merged_already(survivor, other)
    if refusal is not None:
        raise refusal
    return survivor, other


def _move_related(survivor: Customer, other: Customer, summary: dict) -> None:
    """Re-point every row of every app from ``other`` to ``survivor``; the counts go
    on the merge summary."""
    moved: dict[str, int] = {}
    kept: dict[str, int] = {}
    for model, field in _reverse_relations():
        done, left = _move_rows(model, field, survivor=survivor, other=other)
        label = f"{model._meta.label_lower}.{field.name}"
        if done:
            moved[label] = done
        if left:
            kept[label] = left
    summary["moved"] = moved
    if kept:
        summary["kept_on_merged"] = kept


def _merged_preferences(survivor: Customer, other: Customer) -> dict:
    """The survivor's sizes win; favourite categories of both, the survivor's first."""
    prefs = other.preferences or {}
    merged_prefs = dict(survivor.preferences or {})
    merged_prefs["sizes"] = {
        **prefs.get("sizes", {}),
        **merged_prefs.get("sizes", {}),
    }
    merged_prefs["favourite_categories"] = list(
        dict.fromkeys(
            [
                *merged_prefs.get("favourite_categories", []),
                *prefs.get("favourite_categories", []),
            ]
        )
    )
    return merged_prefs


def _fold_profile(survivor: Customer, other: Customer, summary: dict) -> None:
    """Balances add up, and so do the points owed; the survivor's profile fields
    win, the loser's fill the blanks; the login moves when the survivor has none.
    ``other`` becomes a pointer."""
    summary["points"] = other.points_balance
    if other.points_owed:
        summary["points_owed"] = other.points_owed
    summary["store_credit"] = str(other.store_credit_balance)
    fields = [
        "points_balance",
        "points_owed",
        "store_credit_balance",
        "merged_into",
        "updated_at",
    ]
    survivor.points_balance = F("points_balance") + other.points_balance
    survivor.points_owed = F("points_owed") + other.points_owed
    survivor.store_credit_balance = (
        F("store_credit_balance") + other.store_credit_balance
    )
    survivor_fields = [
        "points_balance",
        "points_owed",
        "store_credit_balance",
        "updated_at",
    ]
    for name in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "birthday",
        "preferred_store",
    ):
        if not getattr(survivor, name) and getattr(other, name):
            setattr(survivor, name, getattr(other, name))
            survivor_fields.append(name)
    if not (survivor.company_name or survivor.vat_number) and other.company_name:
        # The business the person buys for, as one pair: never one's name with the
        # other's VAT number.
        survivor.company_name, survivor.vat_number = (
            other.company_name,
            other.vat_number,
        )
        survivor_fields += ["company_name", "vat_number"]
    if survivor.assigned_associate_id is None and other.assigned_associate_id:
        survivor.assigned_associate_id = other.assigned_associate_id
        survivor_fields.append("assigned_associate")
    if other.preferences:
        survivor.preferences = _merged_preferences(survivor, other)
        survivor_fields.append("preferences")
    move_user = survivor.user_id is None and other.user_id is not None
    user = other.user if move_user else None

    other.points_balance = 0
    other.points_owed = 0
    other.store_credit_balance = Decimal("0.00")
    other.merged_into = survivor
    if move_user:
        other.user = None
        fields.append("user")
    other.save(update_fields=fields)
    if move_user:
        survivor.user = user
        survivor_fields.append("user")
    survivor.save(update_fields=survivor_fields)
    survivor.refresh_from_db()
    if move_user:
        summary["user"] = user.pk


def _note_dropped_associate(survivor: Customer, other: Customer, actor) -> None:
    """The merged profile's associate, when the survivor keeps its own, no longer has
    the client: said on the timeline, after the lines moved from that profile."""
    dropped, kept = other.assigned_associate_id, survivor.assigned_associate_id
    if dropped is None or dropped == kept:
        return
    people = get_user_model().objects.select_related("store").in_bulk([dropped, kept])
    record_event(
        customer=survivor,
        kind=EVENT_ASSOCIATE_UNASSIGNED,
        summary=(
            f"No longer a client of {associate_name(people[dropped])}: profiles "
            f"merged, client of {associate_name(people[kept])}"
        ),
        actor=actor,
        data={"associate": kept, "previous": dropped},
        reference_type="associate",
        reference_id=str(dropped),
        locked=True,
    )


class SurvivorHasLogin(Conflict):
    """A claim's merge found the surviving profile taken by another login meanwhile."""


def merge_customers(
    *, survivor: Customer, other: Customer, actor, claimed_by=None
) -> CustomerMerge:
    """``_merge`` in a transaction of its own, run again when the database chose it
    as a deadlock's victim (an order's points credited at the same instant lock the
    order, then the profile; a merge locks the profiles, then their orders)."""
    return run_again_if_victim(
        lambda: _merge(survivor, other, actor=actor, claimed_by=claimed_by)
    )


def _merge_said(other: Customer, summary: dict) -> str:
    """The survivor's timeline line: who was merged in, a consent still withdrawn,
    the identities that no longer lead to the profile."""
    name = other.full_name or f"#{other.pk}"
    said = f"Profile {name} (#{other.pk}) merged into this one"
    kept = ", ".join(
        ConsentChannel(c).label for c in summary.get("consents_withdrawn_kept", ())
    )
    if kept:
        said += f"; consent still withdrawn: {kept}"
    wishlist = summary.get("wishlist_folded")
    if wishlist:
        moved = wishlist["moved"]
        said += (
            f"; its wishlist “{wishlist['from_name']}” joined “{wishlist['into_name']}”"
            f" ({moved} item{pluralize(moved)} moved, {wishlist['already_there']}"
            " already there)"
        )
    if summary.get("unconfirmed"):
        said += "; with a login now, it is no longer matched by unconfirmed " + (
            ", ".join(summary["unconfirmed"])
        )
    return said


@transaction.atomic
def _merge(
    survivor: Customer, other: Customer, *, actor, claimed_by=None
) -> CustomerMerge:
    """Fold ``other`` into ``survivor``; ``other`` stays as a pointer to the survivor.

    Both rows are locked in pk order (the order every merge uses) so two merges of
    overlapping pairs cannot deadlock, and a checkout holding the loser's lock finishes
    first. Rows of every app pointing at the loser are re-pointed here, so models added
    later (orders, returns, wishlists) move without this app knowing them. A login
    taking over a profile it proved (``claimed_by``) is refused when the survivor has
    another login by the time the rows are locked.
    """
    survivor, other = _lock_pair(survivor, other)
    if claimed_by is not None and survivor.user_id not in (None, claimed_by.pk):
        # Checked under the lock: two logins claiming one profile at once get it
        # once, the other is refused as if it had come second.
        raise SurvivorHasLogin(
            "This profile already belongs to another account; our staff will look "
            "at it.",
            code="profile_has_login",
        )
    refusal = kept_apart(survivor, other)  # erased, or a login on each
    if refusal is not None:
        raise refusal
    summary: dict[str, Any] = {
        "merged": {
            "id": other.pk,
            "name": other.full_name,
            "loyalty_number": other.loyalty_number,
        }
    }
    customer_merging.send(
        sender=Customer, survivor=survivor, other=other, summary=summary
    )
    consents = _merge_consents(survivor, other, actor=actor)
    summary["consents"] = consents["moved"]
    if consents["withdrawn_kept"]:
        summary["consents_withdrawn_kept"] = consents["withdrawn_kept"]
    _merge_duplicates(survivor, other, actor)
    unconfirmed = _no_longer_leading(survivor, other)
    if unconfirmed:
        summary["unconfirmed"] = unconfirmed
    fold_addresses(survivor, other)
    folded = fold_merged_tasks(survivor=survivor, other=other, actor=actor)
    if folded:
        summary["tasks_folded"] = folded
    wishlist = fold_wishlists(survivor=survivor, other=other, actor=actor)
    if wishlist:
        summary["wishlist_folded"] = wishlist
    _move_related(survivor, other, summary)
    _fold_profile(survivor, other, summary)
    _note_dropped_associate(survivor, other, actor)

    merge = CustomerMerge.objects.create(
        survivor=survivor,
        merged=other,
        actor=acting_user(actor),
        summary=summary,
    )
    record_event(
        customer=survivor,
        kind=EVENT_MERGED,
        summary=_merge_said(other, summary),
        actor=actor,
        data=summary,
        reference_type="customer_merge",
        reference_id=str(merge.pk),
    )
    settle_points_owed(
        customer=survivor,
        reason=f"Profile #{other.pk} merged in: points owed paid from the balance",
        reference_type="customer_merge",
        reference_id=str(merge.pk),
        actor=actor,
    )
    customer_merged.send(sender=Customer, survivor=survivor, other=other, merge=merge)
    webhooks.emit(
        "customer.merged",
        {"survivor_id": survivor.pk, "merged_id": other.pk, "merge_id": merge.pk},
    )
    return merge
