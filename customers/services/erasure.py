"""Erasure on request: forget the person, keep the books.

``erase_customer`` runs the step of every app registered in ``customers.privacy`` (this
app's own step is ``erase_customer_records``), then redacts the outbox and webhook
payloads that still hold the person's identifying strings. Amounts, dates, statuses,
codes and ids stay; every text the person wrote or that names them goes.

Before anything is erased, every app may refuse while it still needs the person's
data (the orders app: orders still to be shipped or collected, returns still open,
409 ``open_orders``; a sale for them waiting on a shop's card terminal, 409
``sale_in_progress``; an e-gift card they bought still to be sent, 409
``gift_card_to_send``). Store credit or points still held are not given up silently:
the erasure is refused (409 ``balance_left``, naming them) unless the person (or HQ
for them) confirms giving them up; what was given up is written off in its ledger by
the app holding it (``forfeit``) and recorded with the erasure, and so is why it was
asked (``reason``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import CharField, Q, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from rest_framework.authtoken.models import Token

from customers.models import (
    WISHLIST_DEFAULT_NAME,
    Address,
    ClientTask,
    ClientTaskChange,
    Consent,
    ConsentChange,
    Conversation,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
    LearnedSize,
    LoyaltyTransaction,
    Message,
    StaffNote,
    TaskAction,
    TaskStatus,
    Wishlist,
    WishlistItem,
    new_share_token,
)
from customers.privacy import (
    ERASED_TEXT,
    FORFEIT_REASON,
    Balance,
    Erasure,
    PersonalData,
    Texts,
    balances_held,
    registered,
)
from customers.selectors.export import export_customer_sections, merged_profile_ids
from customers.selectors.loyalty import points_value
from customers.selectors.wishlists import WISHLIST_SHARE_TOPIC
from customers.services.appointment_privacy import (
    APPOINTMENT_TEXTS,
    erase_appointments,
    export_appointments,
)
from customers.services.consents import set_consent
from customers.services.identities import lock_customer
from customers.services.loyalty import reverse_points
from customers.services.timeline import EVENT_ERASED, record_event
from customers.services.verification import forget_codes
from omnistore.core import webhooks
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import Conflict
from omnistore.core.models import OutboxMessage
from omnistore.core.redaction import redact_outbox_keys, redact_payloads

CANCELLED_FOR_ERASURE = "Cancelled: the person's data was erased on request."
ERASED_PAIR_NOTE = (
    "One of these profiles was erased on request. If they are the same person, the "
    "other is erased too (HQ); if not, mark them as different people."
)
ERASED_PAIR_CLOSED = "Closed without a decision: both profiles were erased on request."
# Why a person's own erasure through the API happened, as its record says.
REQUESTED_BY_CUSTOMER = "Requested by the customer"
# The reference type of the points row writing off what an erased profile held.
ERASURE_REFERENCE = "erasure"


# --- What this app holds --------------------------------------------------------------


def customer_values(customer_ids: tuple[int, ...]) -> set[str]:
    """The identifying strings held in this app, read before anything is blanked."""
    values: set[str] = set()
    for first, last, email, phone, loyalty in Customer.objects.filter(
        pk__in=customer_ids
    ).values_list("first_name", "last_name", "email", "phone", "loyalty_number"):
        values |= {f"{first} {last}".strip(), email, phone, loyalty}
    values |= set(
        CustomerIdentity.objects.filter(customer_id__in=customer_ids).values_list(
            "value", flat=True
        )
    )
    for line1, phone in Address.objects.filter(
        customer_id__in=customer_ids
    ).values_list("line1", "phone"):
        values |= {line1, phone}
    values |= {
        str(payload.get("to", ""))
        for payload in _share_rows(customer_ids).values_list("payload", flat=True)
    }
    values.discard("")
    return values


def points_held(customer_ids: tuple[int, ...]) -> list[Balance]:
    """Loyalty points still on the profile (a merged profile's went to it)."""
    points = (
        Customer.objects.filter(pk__in=customer_ids).aggregate(
            points=Sum("points_balance")
        )["points"]
        or 0
    )
    if points <= 0:
        return []
    worth = f"{points_value(points)} {settings.OMNISTORE_CURRENCY}"
    return [Balance("points", points, f"{points} loyalty points (worth {worth})")]


def forfeit_points(erasure: Erasure) -> None:
    """Points given up with the erasure leave the ledger: what the live profile holds
    (a merged profile's went to it) is reversed, once per profile (``erasure`` and
    its id), so the balance and the sum of its ledger read 0."""
    pk = erasure.customer.pk
    held = Customer.objects.filter(pk=pk).values_list("points_balance", flat=True)[0]
    if held > 0:
        reverse_points(
            customer=pk,
            points=held,
            reason=FORFEIT_REASON,
            reference_type=ERASURE_REFERENCE,
            reference_id=str(pk),
            actor=erasure.actor,
        )


def _share_rows(customer_ids: Iterable[int]):
    wishlists = Wishlist.objects.filter(customer_id__in=customer_ids).values_list(
        "pk", flat=True
    )
    return OutboxMessage.objects.filter(
        topic=WISHLIST_SHARE_TOPIC, payload__wishlist_id__in=list(wishlists)
    )


def _forget_admin_log(model: type[models.Model], pks: Iterable[int]) -> None:
    """The admin's history names the objects it changed (a profile by its name, a
    note by its text); the entries stay, their labels go."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in pks],
    ).update(object_repr=ERASED_TEXT)


def _delete_identities_and_addresses(ids: tuple[int, ...]) -> None:
    for model in (CustomerIdentity, Address, LearnedSize):
        rows = model.objects.filter(customer_id__in=ids)
        _forget_admin_log(model, rows.values_list("pk", flat=True))
        rows.delete()


def _blank_texts(ids: tuple[int, ...], *, now) -> None:
    """Notes, every timeline summary and its data, the reasons of duplicate pairs
    (``_leave_pairs_for_review``) and points bookings: the rows stay (kind, date,
    reference, amount), the words go. The timeline is blanked after consents were
    withdrawn, so those entries go too."""
    notes = StaffNote.objects.filter(customer_id__in=ids)
    _forget_admin_log(StaffNote, notes.values_list("pk", flat=True))
    notes.update(text=ERASED_TEXT)
    CustomerEvent.objects.filter(customer_id__in=ids).update(
        summary=ERASED_TEXT, data={}
    )
    LoyaltyTransaction.objects.filter(customer_id__in=ids).exclude(reason="").update(
        reason=ERASED_TEXT
    )
    _leave_pairs_for_review(ids, now=now)


def _leave_pairs_for_review(ids: tuple[int, ...], *, now) -> None:
    """A pair still undecided stays for staff when its other profile is live: that
    profile may hold the same person's data (a guest checkout with their email), and
    only a person can tell whether it is theirs. Nobody decided them different
    people, so the pair is not dismissed; its reason, which may quote the person,
    gives way to ``ERASED_PAIR_NOTE``. A pair whose two profiles are both erased has
    nothing left to review: it is closed with nobody named as having decided it."""
    pairs = DuplicateCandidate.objects.filter(
        Q(customer_a_id__in=ids) | Q(customer_b_id__in=ids)
    )
    pairs.exclude(status=DuplicateStatus.PENDING).update(reason=ERASED_TEXT)
    pending = pairs.filter(status=DuplicateStatus.PENDING)
    erased_a = Q(customer_a_id__in=ids) | Q(customer_a__is_anonymised=True)
    erased_b = Q(customer_b_id__in=ids) | Q(customer_b__is_anonymised=True)
    pending.filter(erased_a & erased_b).update(
        status=DuplicateStatus.DISMISSED,
        resolved_by=None,
        resolved_at=now,
        reason=ERASED_PAIR_CLOSED,
    )
    pending.update(reason=ERASED_PAIR_NOTE)


def _close_client_tasks(ids: tuple[int, ...], *, actor, now) -> None:
    """Nobody follows up with an erased person: open tasks are closed (on record as
    done by the erasure), and every task's words go."""
    tasks = ClientTask.objects.filter(customer_id__in=ids)
    still_open = list(
        tasks.exclude(status=TaskStatus.DONE).values_list("pk", flat=True)
    )
    ClientTaskChange.objects.bulk_create(
        ClientTaskChange(task_id=pk, action=TaskAction.DONE, actor=acting_user(actor))
        for pk in still_open
    )
    tasks.filter(pk__in=still_open).update(
        status=TaskStatus.DONE,
        done_at=now,
        done_by=acting_user(actor),
        snoozed_until=None,
        updated_at=now,
    )
    tasks.update(title=ERASED_TEXT)


def _forget_wishlists(ids: tuple[int, ...]) -> None:
    """Notes and list names go and shared links stop working; what was wanted stays,
    anonymous, like the orders. Emails sharing a list lose recipient and message, and
    those not sent yet never leave."""
    lists = list(Wishlist.objects.filter(customer_id__in=ids))
    _forget_admin_log(Wishlist, [w.pk for w in lists])
    WishlistItem.objects.filter(wishlist__in=lists).exclude(note="").update(note="")
    for wishlist in lists:
        wishlist.name = WISHLIST_DEFAULT_NAME
        wishlist.share_token = new_share_token()
        wishlist.save(update_fields=["name", "share_token", "updated_at"])
    redact_outbox_keys(
        _share_rows(ids), keys=("to", "message"), reason=CANCELLED_FOR_ERASURE
    )


def _anonymise_profiles(customer: Customer, ids: tuple[int, ...], now) -> None:
    """The profile and the profiles merged into it lose their personal fields and
    their loyalty number; merge records keep only the merged id."""
    for merge in CustomerMerge.objects.filter(survivor_id__in=ids):
        merge.summary = {**merge.summary, "merged": {"id": merge.merged_id}}
        merge.save(update_fields=["summary"])
    _forget_admin_log(Customer, ids)
    Customer.objects.filter(pk__in=ids).update(
        first_name="",
        last_name="",
        search_name="",
        email="",
        phone="",
        birthday=None,
        company_name="",
        vat_number="",
        preferences={},
        preferred_store=None,
        loyalty_number=Concat(Value("erased-"), Cast("pk", CharField())),
        is_anonymised=True,
        erased_at=now,
        updated_at=now,
    )
    customer.refresh_from_db()


def _blank_messages(ids: tuple[int, ...]) -> None:
    """Messages stay (who, when, which channel); their words and addresses go, and
    a reply not sent yet never leaves (its delivery finds the profile erased)."""
    Message.objects.filter(conversation__customer_id__in=ids).update(
        body=ERASED_TEXT, sent_to=""
    )


def erase_customer_records(erasure: Erasure) -> None:
    """This app's step: identities, addresses and learned sizes go; texts are blanked; wishlists lose
    names and notes; the profiles are anonymised."""
    ids = erasure.customer_ids
    _delete_identities_and_addresses(ids)
    _blank_texts(ids, now=erasure.now)
    _forget_wishlists(ids)
    _blank_messages(ids)
    erase_appointments(erasure)
    _close_client_tasks(ids, actor=erasure.actor, now=erasure.now)
    _anonymise_profiles(erasure.customer, ids, erasure.now)


def _export_sections(customer_ids: tuple[int, ...]) -> dict:
    return {
        **export_customer_sections(customer_ids),
        **export_appointments(customer_ids),
    }


def personal_data() -> PersonalData:
    """This app's entry in the registry (registered by ``CustomersConfig.ready``)."""
    deleted_address = ("label", "name", "line1", "line2", "city", "postcode")
    return PersonalData(
        name="customers",
        models={
            Customer: Texts(
                erased=("first_name", "last_name", "email", "phone", "preferences")
                + ("loyalty_number", "company_name", "vat_number", "search_name"),
                kept=("created_channel", "created_by_order"),
            ),
            CustomerIdentity: Texts(erased=("kind", "value", "channel")),
            Address: Texts(erased=(*deleted_address, "country", "phone")),
            Consent: Texts(kept=("channel", "source_channel")),
            ConsentChange: Texts(kept=("channel", "source_channel")),
            CustomerEvent: Texts(
                erased=("summary", "data"),
                kept=("kind", "channel", "reference_type", "reference_id"),
            ),
            CustomerMerge: Texts(erased=("summary",)),
            DuplicateCandidate: Texts(erased=("reason",), kept=("status", "channel")),
            LoyaltyTransaction: Texts(
                erased=("reason",), kept=("kind", "reference_type", "reference_id")
            ),
            StaffNote: Texts(erased=("text",)),
            Conversation: Texts(),
            Message: Texts(erased=("body", "sent_to"), kept=("direction", "channel")),
            LearnedSize: Texts(erased=("size", "kept_size", "moved_by")),
            Wishlist: Texts(erased=("name", "share_token")),
            WishlistItem: Texts(erased=("note",), kept=("added_via",)),
            **APPOINTMENT_TEXTS,
            ClientTask: Texts(erased=("title",), kept=("kind", "status", "occurrence")),
            ClientTaskChange: Texts(kept=("action",)),
        },
        export=_export_sections,
        erase=erase_customer_records,
        values=customer_values,
        balances=points_held,
        forfeit=forfeit_points,
    )


# --- The use case -----------------------------------------------------------------------


def _withdraw_consents(customer: Customer, *, actor, channel: str) -> None:
    """Every granted consent withdrawn; the withdrawal stays as proof."""
    for consent in Consent.objects.filter(customer=customer, granted=True):
        set_consent(
            customer=customer,
            channel=consent.channel,
            granted=False,
            source_channel=channel or customer.created_channel,
            actor=actor,
        )


def _disable_login(user) -> None:
    """No token, no password, no name: the login can never be used again. A profile
    merged into another keeps its own login when the survivor had one: it goes too."""
    Token.objects.filter(user=user).delete()
    # Codes sent to prove an email or phone name it: they go with the login, but
    # the last hour's keep counting against the limits.
    forget_codes(user)
    user.username = f"erased-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


def _balances_given_up(
    customer_ids: tuple[int, ...], *, forfeit: bool
) -> list[Balance]:
    """The balances the person gives up with the erasure: refused (409
    ``balance_left``, naming each) unless ``forfeit`` says they give them up
    knowingly; nobody could spend them on an erased profile."""
    balances = balances_held(customer_ids)
    if balances and not forfeit:
        held = " and ".join(balance.text for balance in balances)
        raise Conflict(
            f"The personal data is not erased yet: {held} would be lost with it, "
            "as nobody can use them on an erased profile. Use them first, or "
            "confirm giving them up (forfeit_balance) and ask again.",
            code="balance_left",
            extra={"balances": {balance.key: balance.value for balance in balances}},
        )
    return balances


def _record_erasure(
    customer: Customer, *, actor, channel: str, reason: str, forfeited: list[Balance]
) -> None:
    """The erasure on the timeline: who (the actor), when, why (``reason``: the
    request it answers) and what the person gave up with it."""
    summary = "Personal data erased on request"
    if reason:
        summary += f": {reason}"
    if forfeited:
        summary += f"; given up: {', '.join(b.text for b in forfeited)}"
    record_event(
        customer=customer,
        kind=EVENT_ERASED,
        summary=summary,
        actor=actor,
        channel=channel,
        data={
            "reason": reason,
            "forfeited": {balance.key: balance.value for balance in forfeited},
        },
    )


@transaction.atomic
def erase_customer(
    *,
    customer: Customer,
    actor=None,
    channel: str = "",
    reason: str = "",
    forfeit_balance: bool = False,
) -> Customer:
    """Forget the person, keep the books.

    Names, contact data, identities, addresses, preferences, the loyalty number and
    every free text about them go, in every app; consents are withdrawn (the
    withdrawal stays as proof); orders and ledgers stay for accounting, on an
    anonymous profile. Side effects not sent yet that would reach them are cancelled.
    The login is disabled. Erasing twice changes nothing. An app that refuses (an
    ``ApplicationError``: orders still open, a sale waiting on a card terminal, an
    e-gift card still to be sent), or a balance still held without
    ``forfeit_balance``, leaves everything as it was; with it, each app books the
    balances given up to zero in its ledger (``forfeit``). ``reason`` (the request
    it answers) is recorded with the erasure.

    Every app's identifying strings (``values``) are read first, so a check can tell
    what names the person (a sale attached to them by phone or loyalty card). The
    apps' steps run from the top layer down: each still reads the profile below it
    as it was (the orders app follows the emails the person proved to the gift
    cards sent there) before this app's own step deletes identities and blanks the
    profile.
    """
    customer = lock_customer(customer)
    if customer.is_anonymised:
        return customer
    erasure = Erasure(
        customer=customer,
        customer_ids=(customer.pk, *merged_profile_ids(customer.pk)),
        actor=actor,
        now=timezone.now(),
    )
    entries = registered()
    for entry in entries:
        erasure.values |= set(entry.values(erasure.customer_ids))
    for entry in entries:
        entry.check(erasure)
    forfeited = _balances_given_up(erasure.customer_ids, forfeit=forfeit_balance)
    _withdraw_consents(customer, actor=actor, channel=channel)
    for user in get_user_model().objects.filter(
        customer_profile__pk__in=erasure.customer_ids
    ):
        _disable_login(user)
    for entry in reversed(entries):  # upper apps first: see above
        entry.erase(erasure)
    if forfeited:
        for entry in entries:
            entry.forfeit(erasure)
    redact_payloads(erasure.values, reason=CANCELLED_FOR_ERASURE)
    _record_erasure(
        customer,
        actor=actor,
        channel=channel,
        reason=reason.strip(),
        forfeited=forfeited,
    )
    webhooks.emit("customer.erased", {"customer_id": customer.pk})
    return customer
