"""Delivery: queued messages are taken in pk order a batch at a time (``FOR UPDATE SKIP
LOCKED``), checked again for consent and rendered with their personal content in a
short transaction (one that cannot be made, a template failing on its recipient's data
or an SMS too long, fails on its own with the reason and the rest go on), then sent
through the channel's backend outside it and marked as
the backend answers: one at a time for email (what the relay accepted is recorded
before the next message goes, so a killed worker resends at most the one in hand),
the whole batch after the call for the others. The campaign's lease keeps a second
run away meanwhile."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F

from campaigns import tracking
from campaigns.backends import OutgoingMessage, get_backend
from campaigns.channels import MessageChannel
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from campaigns.rendering import (
    CompiledTemplate,
    MessageNotRendered,
    compile_template,
    render_message,
)
from campaigns.selectors.browsing import TRIGGER as VIEWED
from campaigns.selectors.browsing import viewed_cards
from campaigns.selectors.content import (
    best_sellers,
    cart_contents,
    featured_items,
    featured_prices,
    featured_variants,
    order_cards,
    recommendations,
    store_cards,
    store_stock,
)
from campaigns.selectors.prices import money
from campaigns.selectors.sending import message_deliverable
from campaigns.selectors.wishlists import (
    PRICE_TRIGGER,
    WishlistCards,
    wishlist_cards,
)
from campaigns.services.common import EVENT_SENT, REFERENCE, renew_lease
from customers.services.timeline import record_events, survivors_of

logger = logging.getLogger(__name__)


MAX_ATTEMPTS = 3
NO_LONGER_DUE = "Not sent: what triggered it no longer holds."


@dataclass
class SendResult:
    """Counts of one run. ``queued`` is how many messages the audience asked for
    (rows already there are not inserted again); ``deferred`` stayed queued because a
    provider could not be reached; ``busy`` means another run holds the campaign or
    it is not due; ``held`` is why a campaign no longer ready sent nothing."""

    campaign_id: int
    queued: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    finished: bool = False
    busy: bool = False
    held: str = ""


@dataclass
class _Run:
    """What one run shares across batches: compiled templates, featured items, best
    sellers (read once, not per batch)."""

    campaign: Campaign
    templates: dict[str, CompiledTemplate]
    now: datetime
    featured: list[dict] = field(default_factory=list)
    featured_variants: list = field(default_factory=list)
    sellers: dict | None = None
    # An automation's check that a batch's triggers still hold: given (customer,
    # trigger key) pairs, those still due.
    still_due: Callable[[set], set] | None = None

    def uses(self, name: str) -> bool:
        return any(t.uses(name) for t in self.templates.values())


def prepare_run(campaign: Campaign, now: datetime) -> _Run:
    templates = {
        t.channel: compile_template(channel=t.channel, subject=t.subject, body=t.body)
        for t in campaign.templates.all()
        if t.channel in campaign.channels
    }
    run = _Run(campaign=campaign, templates=templates, now=now)
    if run.uses("featured"):
        run.featured_variants = featured_variants(campaign)
        run.featured = featured_items(run.featured_variants)
    if run.uses("recommendations"):
        run.sellers = best_sellers(now=now)
    return run


_COLUMNS = (
    "pk",
    "customer_id",
    "channel",
    "trigger_key",
    "deliverable",
    "customer__first_name",
    "customer__email",
    "customer__phone",
    "customer__preferred_store_id",
)


def _contexts(run: _Run, rows) -> dict[int, dict]:
    """Personal context of every message in a batch, in a fixed number of queries."""
    stores = {row[8] for row in rows if row[8]}
    cards = store_cards(stores) if stores and run.uses("store") else {}
    stock = {}
    if run.featured and stores:
        stock = store_stock(
            variant_ids=[item["variant_id"] for item in run.featured], store_ids=stores
        )
    featured = featured_prices(run.featured_variants, stores)
    recs = {}
    if run.sellers is not None:
        recs = recommendations(
            customer_ids={row[1] for row in rows}, sellers=run.sellers
        )
    carts: dict = {}
    orders: dict = {}
    viewed: dict = {}
    wished = _Wished(WishlistCards())
    if run.campaign.is_automation:
        keys = [row[3].split(":", 1) for row in rows if ":" in row[3]]
        cart_ids = {int(v) for k, v in keys if k == "cart"}
        order_ids = {int(v) for k, v in keys if k == "order"}
        carts = cart_contents(cart_ids) if cart_ids else {}
        orders = order_cards(order_ids) if order_ids else {}
        variant_ids = {int(v.split(":")[0]) for k, v in keys if k == "restock"}
        price_drops = {
            (row[1], int(row[3].split(":")[1]))
            for row in rows
            if row[3].startswith(f"{PRICE_TRIGGER}:")
        }
        if run.uses("viewed_item"):
            viewed = viewed_cards(
                (int(row[3].split(":")[1]), row[8])
                for row in rows
                if row[3].startswith(f"{VIEWED}:")
            )
        if (variant_ids or price_drops) and run.uses("wishlist_item"):
            wished = _Wished(
                wishlist_cards(
                    variant_ids=variant_ids, price_drops=price_drops, store_ids=stores
                )
            )
    site = settings.OMNISTORE_STOREFRONT_URL
    contexts = {}
    for pk, customer_id, _channel, trigger, _ok, first_name, _e, _p, store in rows:
        kind, _, ref = trigger.partition(":")
        prices = featured.get(store, featured.get(None, {}))
        contexts[pk] = {
            "first_name": first_name,
            "store": cards.get(store),
            "featured": [
                {
                    "name": item["name"],
                    "sku": item["sku"],
                    **prices[item["variant_id"]],
                    "in_store": stock.get((item["variant_id"], store), 0),
                    "image_url": item.get("image_url", ""),
                }
                for item in run.featured
                if item["variant_id"] in prices
            ],
            "recommendations": recs.get(customer_id, []),
            "discount_code": run.campaign.discount_code,
            "shop_url": site,
            "cart": carts.get(int(ref)) if kind == "cart" and ref else None,
            "order": orders.get(int(ref)) if kind == "order" and ref else None,
            "wishlist_item": wished.card(kind, ref, store, customer_id),
            "viewed_item": (
                viewed.get((int(ref.partition(":")[0]), store))
                if kind == VIEWED
                else None
            ),
        }
    return contexts


@dataclass
class _Wished:
    """The wishlist content of a batch (``wishlist_cards``)."""

    cards: WishlistCards

    def card(
        self, kind: str, ref: str, store: int | None, customer_id: int
    ) -> dict | None:
        """``restock:<variant>:<n>`` and ``drop:<variant>:<currency>:<price>`` as
        the message shows them, at the shelf price of the customer's market. A price
        drop is decided in that market (``price_drop_items``): it shows at the price
        it was decided on (the price still, or the message was skipped), with the
        price the variant had there when the customer wished it; in a currency the
        market no longer sells in, at the shelf price alone."""
        head, _, rest = ref.partition(":")
        cards = self.cards
        currency = ""
        if kind == "restock":
            variant_id, price, was = int(head), None, None
        elif kind == PRICE_TRIGGER:
            currency, _, amount = rest.rpartition(":")
            variant_id, price = int(head), Decimal(amount)
            was = cards.was.get((customer_id, variant_id))
        else:
            return None
        card = cards.variants.get(variant_id)
        if card is None:
            return None
        shelf = cards.prices.get(store, cards.prices.get(None, {})).get(variant_id)
        shown = {
            **card,
            **money(shelf.amount if shelf else None, shelf.currency if shelf else ""),
            "in_store": cards.stock.get((variant_id, store), 0) if store else None,
            "was_price": None,
            "saving_percent": None,
        }
        same_money = shelf is not None and shelf.currency == currency
        if price is not None and was and was > price and same_money:
            shown.update(money(price, currency))
            shown["was_price"] = money(was, currency)["price"]
            shown["saving_percent"] = int((was - price) * 100 / was)
        return shown


def _address(channel: str, row) -> str:
    if channel == MessageChannel.EMAIL:
        return row[6]
    if channel == MessageChannel.SMS:
        return row[7]
    return f"customer:{row[1]}"


def _deliver_batch(run: _Run, *, after: int, size: int) -> tuple[int, SendResult]:
    """Send the next batch of queued messages after pk ``after``; returns the last pk
    looked at (0 when nothing was left) and the counts."""
    campaign = run.campaign
    counts = SendResult(campaign_id=campaign.pk)
    with transaction.atomic():
        rows = list(
            Message.objects.filter(
                campaign_id=campaign.pk, status=MessageStatus.QUEUED, pk__gt=after
            )
            .select_for_update(skip_locked=True, of=("self",))
            .annotate(
                deliverable=ExpressionWrapper(
                    message_deliverable(), output_field=BooleanField()
                )
            )
            .order_by("pk")
            .values_list(*_COLUMNS)[:size]
        )
        if not rows:
            return 0, counts
        last = rows[-1][0]
        blocked = [row[0] for row in rows if not row[4]]
        if blocked:
            counts.skipped = Message.objects.filter(pk__in=blocked).update(
                status=MessageStatus.SKIPPED,
                error="No consent or address at send time.",
            )
        rows = [row for row in rows if row[4] and row[2] in run.templates]
        rows, counts.skipped = _skip_no_longer_due(run, rows, counts.skipped)
        outgoing, unmade = _render(run, rows)
        counts.failed += _fail_unmade(campaign, unmade)
        rows = [row for row in rows if row[0] not in unmade]
        survivors = survivors_of({row[1] for row in rows})
    owners = {row[0]: survivors.get(row[1], row[1]) for row in rows}
    for channel, messages in outgoing.items():
        _send(run, get_backend(channel), messages, owners, counts)
    return last, counts


def _skip_no_longer_due(run: _Run, rows, skipped: int) -> tuple[list, int]:
    """Mark skipped, with the reason, the batch's messages whose trigger no longer
    holds (queued before a pause or an outage); the others go on."""
    if run.still_due is None or not rows:
        return rows, skipped
    due = run.still_due({(row[1], row[3]) for row in rows})
    stale = [row[0] for row in rows if (row[1], row[3]) not in due]
    if stale:
        skipped += Message.objects.filter(pk__in=stale).update(
            status=MessageStatus.SKIPPED, error=NO_LONGER_DUE
        )
    return [row for row in rows if (row[1], row[3]) in due], skipped


def _render(run: _Run, rows) -> tuple[dict[str, list[OutgoingMessage]], dict]:
    """The batch's messages made, by channel, and the reason of each one that could
    not be made (by message id): those fail on their own, the others go."""
    contexts = _contexts(run, rows)
    outgoing: dict[str, list[OutgoingMessage]] = defaultdict(list)
    unmade: dict[int, str] = {}
    for row in rows:
        channel = row[2]
        try:
            rendered = render_message(
                run.templates[channel], contexts[row[0]], message_id=row[0]
            )
        except MessageNotRendered as error:
            unmade[row[0]] = str(error)
            continue
        headers = {}
        if channel == MessageChannel.EMAIL:
            one_click = tracking.one_click_unsubscribe_url(rendered.unsubscribe_url)
            headers["List-Unsubscribe"] = f"<{one_click}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        outgoing[channel].append(
            OutgoingMessage(
                message_id=row[0],
                channel=channel,
                to=_address(channel, row),
                subject=rendered.subject,
                body=rendered.text,
                html=rendered.html,
                headers=headers,
            )
        )
    return outgoing, unmade


def _fail_unmade(campaign: Campaign, unmade: dict[int, str]) -> int:
    """Mark failed, with their reason, the messages that could not be made: a template
    failing on one recipient's data, or an SMS too long with its links as sent. Not
    a provider problem, so never retried as one."""
    if not unmade:
        return 0
    Message.objects.bulk_update(
        [
            Message(pk=pk, status=MessageStatus.FAILED, error=reason[:500])
            for pk, reason in unmade.items()
        ],
        ["status", "error"],
    )
    logger.warning(
        "campaigns: %d message(s) of campaign %s could not be made and failed",
        len(unmade),
        campaign.pk,
    )
    return len(unmade)


def _send(run: _Run, backend, messages, owners, counts: SendResult) -> None:
    """Send outside any transaction. A backend sending one at a time has each message
    marked (and put on the timeline) as the relay answers, in a transaction of its
    own; a batch backend's results are marked together after the call. ``owners``:
    the live profile each message's timeline row goes to, by message id."""
    recorded: set[int] = set()

    def on_sent(index: int, result) -> None:
        with transaction.atomic():
            _commit_without_waiting()
            _record_results(run, [messages[index]], [result], owners, counts)
        recorded.add(index)

    try:
        if backend.one_at_a_time:
            results = backend.send_messages(messages, on_sent=on_sent)
        else:
            results = backend.send_messages(messages)
    except Exception as error:  # provider unreachable: retried by a later run
        logger.warning("campaigns: %s backend failed: %r", messages[0].channel, error)
        left = [m for i, m in enumerate(messages) if i not in recorded]
        counts.deferred += _defer([m.message_id for m in left], error)
        return
    pending = [i for i in range(len(messages)) if i not in recorded]
    if pending:
        with transaction.atomic():
            _record_results(
                run,
                [messages[i] for i in pending],
                [results[i] for i in pending],
                owners,
                counts,
            )


def _commit_without_waiting() -> None:
    """A mark per message sent is there so a killed worker does not send it again, not
    to survive a database crash: its commit need not wait for the disk (PostgreSQL's
    ``synchronous_commit = off`` for this transaction; the row still reaches the WAL
    within a fraction of a second)."""
    own = connection.in_atomic_block and not connection.savepoint_ids  # not a caller's
    if connection.vendor == "postgresql" and own:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _defer(ids: list[int], error: Exception) -> int:
    Message.objects.filter(pk__in=ids).update(
        attempts=F("attempts") + 1, error=repr(error)[:500]
    )
    Message.objects.filter(pk__in=ids, attempts__gte=MAX_ATTEMPTS).update(
        status=MessageStatus.FAILED
    )
    return len(ids)


def _record_results(run: _Run, messages, results, owners, counts: SendResult) -> None:
    """Mark the batch sent or failed and write the timeline, a statement each."""
    now = run.now
    delivered = [
        m.message_id
        for m, r in zip(messages, results, strict=True)
        if r.ok and r.delivered
    ]
    accepted = [
        m.message_id
        for m, r in zip(messages, results, strict=True)
        if r.ok and not r.delivered
    ]
    refused = [
        (m.message_id, r)
        for m, r in zip(messages, results, strict=True)
        if not r.ok and not r.deferred
    ]
    deferred = [
        (m.message_id, r) for m, r in zip(messages, results, strict=True) if r.deferred
    ]
    if deferred:  # left queued: a later run sends them, once
        counts.deferred += _defer(
            [pk for pk, _ in deferred], ConnectionError(deferred[0][1].error)
        )
    common = {
        "status": MessageStatus.SENT,
        "sent_at": now,
        "attempts": F("attempts") + 1,
    }
    if delivered:
        Message.objects.filter(pk__in=delivered).update(delivered_at=now, **common)
    if accepted:
        Message.objects.filter(pk__in=accepted).update(**common)
    if refused:
        Message.objects.bulk_update(
            [
                Message(
                    pk=pk, status=MessageStatus.FAILED, error=r.error[:500] or "Refused"
                )
                for pk, r in refused
            ],
            ["status", "error"],
        )
    counts.sent += len(delivered) + len(accepted)
    counts.failed += len(refused)
    _record_sent_events(
        run, [m for m, r in zip(messages, results, strict=True) if r.ok], owners
    )


def _record_sent_events(run: _Run, messages: list[OutgoingMessage], owners) -> None:
    """One timeline row per message sent: a batch of a thousand sends is one INSERT."""
    campaign = run.campaign
    record_events(
        [
            {
                "customer": owners[m.message_id],
                "kind": EVENT_SENT,
                "summary": f"{MessageChannel(m.channel).label} sent: {campaign.name}",
                "channel": m.channel,
                "data": {"campaign_id": campaign.pk, "message_id": m.message_id},
                "reference_type": REFERENCE,
                "reference_id": m.message_id,
                "occurred_at": run.now,
            }
            for m in messages
        ],
        locked=True,  # owners are the live profiles already
    )


def deliver_queued(run: _Run, *, size: int) -> SendResult:
    total = SendResult(campaign_id=run.campaign.pk)
    after = 0
    while True:
        status = renew_lease(run.campaign)
        if status == CampaignStatus.CANCELLED or status == CampaignStatus.PAUSED:
            break
        after, counts = _deliver_batch(run, after=after, size=size)
        if not after:
            break
        for name in ("sent", "failed", "skipped", "deferred"):
            setattr(total, name, getattr(total, name) + getattr(counts, name))
    return total
