"""Messages as the customer and as staff read them; who a customer's message goes to.

A customer sees only their own threads; an associate their own; a store manager (and
an area manager, HQ) also every thread of the shops they see (``shop_ids``). Anyone
else's thread answers 404, like an unknown id.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Count, Prefetch, Q, QuerySet

from customers.models import (
    Consent,
    ConsentChannel,
    Conversation,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Message,
    MessageChannel,
    MessageDirection,
    WishlistItem,
)
from customers.selectors.wishlists import list_opened_by_link
from omnistore.accounts.scoping import shop_ids
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import NotFound

UNREAD = Q(messages__direction=MessageDirection.IN, messages__read_at__isnull=True)
# The channels an associate replies by, each with the consent it needs.
REPLY_CHANNELS = {
    MessageChannel.EMAIL: ConsentChannel.EMAIL,
    MessageChannel.SMS: ConsentChannel.SMS,
}
# Per reply channel: the identity proving its address, the profile field holding it
# ("email", "phone"), and how staff name it.
_REPLY_CONTACTS = {
    MessageChannel.EMAIL: (IdentityKind.EMAIL, "email", "email address"),
    MessageChannel.SMS: (IdentityKind.PHONE, "phone", "phone number"),
}


def is_reachable_associate(user) -> bool:
    """An associate still working in a shop: someone a message can go to."""
    return user is not None and user.is_active and user.is_shop_staff


def shared_wishlist_associates(token: str, variant_ids) -> dict[int, int]:
    """Whom an order through a shared wishlist link credits, by variant id (user
    ids): the associate who added that variant to the list, else the one who added
    something to it last. The list is the one the link opens (a list a merge folded
    into another: that one, ``list_opened_by_link``). Empty for an unknown, closed or
    erased list, or one no reachable associate ever added to. One query."""
    token = (token or "").strip()
    if not token:
        return {}
    items = (
        WishlistItem.objects.filter(
            wishlist__in=list_opened_by_link(token),
            wishlist__archived_at__isnull=True,
            wishlist__customer__is_anonymised=False,
            added_by_staff__isnull=False,
        )
        .select_related("added_by_staff")
        .order_by("-added_at", "-id")
    )
    reachable = [i for i in items[:100] if is_reachable_associate(i.added_by_staff)]
    if not reachable:
        return {}
    own: dict[int, int] = {}
    for item in reachable:
        own.setdefault(item.variant_id, item.added_by_staff_id)
    latest = reachable[0].added_by_staff_id
    return {int(pk): own.get(int(pk), latest) for pk in variant_ids}


def message_recipient(customer: Customer, *, wishlist_item: WishlistItem | None):
    """Who a customer's message goes to, in one place so the rule can change here
    alone: about a wishlist item, the associate who added it; otherwise (or when
    that associate has left) the customer's assigned associate where profiles have
    one, else the associate who added something to one of their lists last, else
    the associate of their latest thread. None: nobody to write to."""
    if wishlist_item is not None and is_reachable_associate(
        wishlist_item.added_by_staff
    ):
        return wishlist_item.added_by_staff
    assigned = getattr(customer, "assigned_associate", None)
    if is_reachable_associate(assigned):
        return assigned
    item = (
        WishlistItem.objects.filter(
            wishlist__customer=customer,
            added_by_staff__isnull=False,
            added_by_staff__is_active=True,
        )
        .select_related("added_by_staff__store")
        .order_by("-added_at", "-id")
        .first()
    )
    if item is not None and is_reachable_associate(item.added_by_staff):
        return item.added_by_staff
    latest = (
        Conversation.objects.filter(customer=customer, associate__is_active=True)
        .select_related("associate__store")
        .order_by("-last_message_at", "-id")
        .first()
    )
    if latest is not None and is_reachable_associate(latest.associate):
        return latest.associate
    return None


def _messages_prefetch() -> Prefetch:
    return Prefetch(
        "messages",
        queryset=Message.objects.select_related(
            "wishlist_item__variant", "author"
        ).order_by("created_at", "id"),
    )


def customer_conversations(customer: Customer) -> QuerySet[Conversation]:
    """The customer's threads, latest first, with their messages: two queries."""
    return (
        Conversation.objects.filter(customer=customer)
        .select_related("associate", "location")
        .prefetch_related(_messages_prefetch())
        .order_by("-last_message_at", "-id")
    )


def customer_conversation(customer: Customer, conversation_id) -> Conversation:
    found = None
    if is_digits(conversation_id):
        found = customer_conversations(customer).filter(pk=conversation_id).first()
    if found is None:
        raise NotFound("Conversation not found.")
    return found


def _visible_threads(user) -> QuerySet[Conversation]:
    """The threads a staff member reads: their own, and for managers every thread
    of the shops they see."""
    threads = Conversation.objects.all()
    if not user.is_manager:
        return threads.filter(associate=user)
    ids = shop_ids(user)
    if ids is None:
        return threads
    return threads.filter(Q(associate=user) | Q(location_id__in=ids))


def staff_conversations(user) -> QuerySet[Conversation]:
    """``_visible_threads``, latest first, each with ``unread`` (messages in, not
    read yet)."""
    return (
        _visible_threads(user)
        .annotate(unread=Count("messages", filter=UNREAD))
        .order_by("-last_message_at", "-id")
    )


def staff_inbox(user) -> QuerySet[Conversation]:
    """The inbox list: threads with customer, associate and shop (one query)."""
    return staff_conversations(user).select_related("customer", "associate", "location")


def staff_conversation(user, conversation_id) -> Conversation:
    """One thread the staff member may read, with its messages; else 404."""
    found = None
    if is_digits(conversation_id):
        found = (
            staff_inbox(user)
            .prefetch_related(_messages_prefetch())
            .filter(pk=conversation_id)
            .first()
        )
    if found is None:
        raise NotFound("Conversation not found.")
    return found


def unread_count(user) -> int:
    """Messages in, not read yet, in the threads the staff member reads (one
    query; two for a manager of several shops the first time in a request)."""
    return Message.objects.filter(
        conversation__in=_visible_threads(user).values("pk"),
        direction=MessageDirection.IN,
        read_at__isnull=True,
    ).count()


@dataclass(frozen=True)
class ReplyRoute:
    """Where a reply on ``channel`` goes (``address``), or why none can go there:
    ``code`` (``no_consent``, ``no_address``, ``email_not_verified``,
    ``phone_not_verified``), ``reason`` (short, beside the channel), ``refusal``
    (the sentence refusing a reply) and ``field_error`` (under the channel field);
    all empty when the reply can go."""

    channel: str
    address: str = ""
    code: str = ""
    reason: str = ""
    refusal: str = ""
    field_error: str = ""


def _route(channel: str, *, address: str, granted: bool, proven: bool) -> ReplyRoute:
    _, field, noun = _REPLY_CONTACTS[channel]
    label = MessageChannel(channel).label
    if not granted:
        return ReplyRoute(
            channel,
            code="no_consent",
            reason="no consent",
            refusal=f"The customer has not agreed to messages by {label}.",
            field_error=f"No {label} consent.",
        )
    if not address:
        return ReplyRoute(
            channel,
            code="no_address",
            reason=f"no {noun}",
            refusal=f"The customer's profile has no {noun} for a reply by {label}.",
            field_error=f"No {noun} on the profile.",
        )
    if not proven:
        ask = "ask the customer to confirm it"
        return ReplyRoute(
            channel,
            code=f"{field}_not_verified",
            reason=f"{field} not verified: {ask}",
            refusal=(
                f"The customer has not verified the {noun} {address}: {ask} "
                f"before replying by {label}."
            ),
            field_error=f"{noun.capitalize()} not verified: {ask}.",
        )
    return ReplyRoute(channel, address=address)


def reply_routes(customer: Customer) -> dict[str, ReplyRoute]:
    """Each reply channel (``REPLY_CHANNELS``) of the customer, in at most two
    queries: a reply goes with the customer's consent for its channel, to the
    profile's email or phone, and only once the customer proved it or gave it in
    person (``CustomerIdentity.proven``): one typed online and never proven may be
    someone else's. The one rule the reply form, the reply and its delivery follow."""
    granted = set(
        Consent.objects.filter(
            customer=customer, granted=True, channel__in=REPLY_CHANNELS.values()
        ).values_list("channel", flat=True)
    )
    contacts = {
        channel: (kind, getattr(customer, field))
        for channel, (kind, field, _) in _REPLY_CONTACTS.items()
    }
    asked = [
        Q(kind=kind, value=address)
        for channel, (kind, address) in contacts.items()
        if address and REPLY_CHANNELS[channel] in granted
    ]
    proven = set()
    if asked:
        proven = set(
            CustomerIdentity.objects.filter(
                reduce(or_, asked), CustomerIdentity.proven_q(), customer=customer
            ).values_list("kind", "value")
        )
    return {
        channel: _route(
            channel,
            address=contacts[channel][1],
            granted=consent in granted,
            proven=contacts[channel] in proven,
        )
        for channel, consent in REPLY_CHANNELS.items()
    }
