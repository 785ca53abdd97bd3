"""Writes of the campaigns app: segments, scheduling, sending, automations, tracking,
attribution.

Rules kept here:
- a message is one row per (campaign, customer, channel, trigger); rows are inserted
  with ``ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``), so running
  a send or an automation again inserts nothing new and sends nothing twice;
- a send has two phases: *queue* walks the audience by primary-key ranges and inserts
  the missing rows; *deliver* takes queued rows in pk order, a batch at a time, locked
  with ``FOR UPDATE SKIP LOCKED`` (two workers never take the same row), checks consent
  again in SQL, sends through the channel's backend and marks the rows sent in the same
  transaction. A run that dies leaves its batch queued; the next run sends only what is
  still queued (the batch in flight at a crash may reach a provider twice, never more);
- a campaign being sent holds a lease (``lease_until``) renewed every batch, so a
  duplicate task exits at once and a crashed run is resumed once the lease expires;
- memory stays bounded: only ids and one batch of rows are ever held;
- back in stock is found from watched stock changes (see ``detect_restocks``) at the
  start of every automation run; each restock is messaged once per customer, whatever
  number of lists the variant is on.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
)
from django.utils import timezone

from customers.models import Channel, Customer
from customers.services import record_event, record_events, set_consent
from omnistore.core.exceptions import (
    Conflict,
    IllegalTransition,
    NotFound,
    ValidationFailed,
)
from orders import services as order_services
from orders.models import DiscountCode, Order

from . import selectors
from .backends import OutgoingMessage, get_backend
from .models import (
    AUTOMATION_KINDS,
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignStatusChange,
    Message,
    MessageChannel,
    MessageStatus,
    Restock,
    Segment,
    StockSnapshot,
    StockWatch,
)
from .rendering import (
    CompiledTemplate,
    compile_template,
    render_message,
    template_errors,
)
from .segments import validate_rules

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
# An automation looks back this far beyond its wait, so switching one on does not
# write to every cart or order of the past.
AUTOMATION_LOOKBACK = timedelta(days=7)
# Watched stock changes looked at per transaction.
RESTOCK_BATCH = 1000

EVENT_SENT = "message_sent"
EVENT_OPENED = "message_opened"
EVENT_CLICKED = "message_clicked"
EVENT_UNSUBSCRIBED = "message_unsubscribed"
REFERENCE = "campaign_message"


def _batch_size(batch_size: int | None) -> int:
    return max(int(batch_size or settings.OMNISTORE_CAMPAIGN_BATCH_SIZE), 1)


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Segments -----------------------------------------------------------------------


def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "Give the segment a name.", extra={"name": ["Required."]}
        )
    return name[:120]


def validate_segment_rules(*, rules) -> dict:
    """The rules, when every field, operator, value and reference in them is valid;
    otherwise ``ValidationFailed`` listing every error."""
    return validate_rules(rules)


@transaction.atomic
def create_segment(*, name: str, rules, description: str = "", actor=None) -> Segment:
    name = _clean_name(name)
    validate_rules(rules)
    if Segment.objects.filter(name=name).exists():
        raise ValidationFailed(
            "A segment with this name exists.",
            extra={"name": ["A segment with this name exists."]},
        )
    return Segment.objects.create(
        name=name,
        rules=rules,
        description=(description or "").strip(),
        created_by=_actor(actor),
    )


@transaction.atomic
def update_segment(
    *, segment: Segment, name: str | None = None, rules=None, description=None
) -> Segment:
    fields = ["updated_at"]
    if name is not None:
        segment.name = _clean_name(name)
        fields.append("name")
    if rules is not None:
        segment.rules = validate_rules(rules)
        fields.append("rules")
    if description is not None:
        segment.description = description.strip()
        fields.append("description")
    segment.updated_at = timezone.now()
    segment.save(update_fields=fields)
    return segment


# --- Campaign lifecycle -------------------------------------------------------------


def _record_status(campaign: Campaign, target: str, *, actor=None, note: str = ""):
    CampaignStatusChange.objects.create(
        campaign=campaign,
        from_status=campaign.status,
        to_status=target,
        actor=_actor(actor),
        note=note[:250],
    )
    campaign.status = target
    campaign.updated_at = timezone.now()


def campaign_errors(campaign: Campaign) -> dict[str, list[str]]:
    """What keeps a campaign from going out (empty when it is ready)."""
    errors: dict[str, list[str]] = {}
    try:
        campaign.clean()
    except DjangoValidationError as error:
        for name, messages in error.message_dict.items():
            if name != "status":
                errors.setdefault(name, []).extend(messages)
    templates = {t.channel: t for t in campaign.templates.all()}
    for channel in campaign.channels or []:
        template = templates.get(channel)
        if template is None:
            label = (
                MessageChannel(channel).label
                if channel in MessageChannel.values
                else channel
            )
            errors.setdefault("templates", []).append(f"Write the {label} message.")
            continue
        problems = template_errors(
            channel=channel, subject=template.subject, body=template.body
        )
        for name, messages in problems.items():
            errors.setdefault("templates", []).extend(
                f"{MessageChannel(channel).label} {name}: {m}" for m in messages
            )
    problem = _discount_code_problem(campaign)
    if problem:
        errors.setdefault("discount_code", []).append(problem)
    return errors


def _discount_code_problem(campaign: Campaign) -> str:
    """A campaign's code must exist, be active and belong to no other campaign: the
    code is how checkout attributes an order to the campaign."""
    if not campaign.discount_code:
        return ""
    code = DiscountCode.objects.filter(code=campaign.discount_code).first()
    if code is None:
        return (
            f"There is no discount code {campaign.discount_code}: create it under "
            "Orders › Discount codes first."
        )
    if not code.active:
        return f"The discount code {code.code} is not active."
    if code.campaign_id not in (None, campaign.pk):
        return f"The discount code {code.code} belongs to another campaign."
    return ""


def _link_discount_code(campaign: Campaign, actor) -> None:
    """Tie the campaign's code to it, so orders using the code are attributed to it."""
    if campaign.discount_code:
        order_services.update_discount_code(
            code=campaign.discount_code, campaign_id=campaign.pk, actor=actor
        )


def _require_ready(campaign: Campaign) -> None:
    errors = campaign_errors(campaign)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"The campaign is not ready: {first}", extra=errors)


def _lock_campaign(campaign: Campaign | int) -> Campaign:
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    try:
        return Campaign.objects.select_for_update().get(pk=pk)
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise NotFound("Campaign not found.") from None


def _kick_send(campaign_id: int) -> None:
    from .tasks import send_campaign

    try:
        send_campaign.delay(campaign_id)
    except Exception:  # broker down: the periodic task sends due campaigns
        logger.warning("campaigns: broker unavailable, the beat task will send")


@transaction.atomic
def schedule_campaign(
    *, campaign: Campaign | int, send_at: datetime | None = None, actor=None
) -> Campaign:
    """Draft → scheduled, to go out at ``send_at`` (now when omitted)."""
    campaign = _lock_campaign(campaign)
    if campaign.kind != CampaignKind.BROADCAST:
        raise Conflict("Automations are activated, not scheduled.")
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise IllegalTransition(
            obj=f"Campaign {campaign.name}",
            current=campaign.status,
            target=CampaignStatus.SCHEDULED,
        )
    _require_ready(campaign)
    _link_discount_code(campaign, actor)
    now = timezone.now()
    campaign.send_at = send_at or now
    note = f"To send at {timezone.localtime(campaign.send_at):%Y-%m-%d %H:%M}"
    _record_status(campaign, CampaignStatus.SCHEDULED, actor=actor, note=note)
    campaign.save(update_fields=["send_at", "status", "updated_at"])
    if campaign.send_at <= now:
        transaction.on_commit(lambda: _kick_send(campaign.pk))
    return campaign


@transaction.atomic
def cancel_campaign(
    *, campaign: Campaign | int, actor=None, note: str = ""
) -> Campaign:
    """A scheduled campaign, or one being sent (it stops after the current batch)."""
    campaign = _lock_campaign(campaign)
    allowed = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
    if campaign.kind != CampaignKind.BROADCAST or campaign.status not in allowed:
        raise IllegalTransition(
            obj=f"Campaign {campaign.name}",
            current=campaign.status,
            target=CampaignStatus.CANCELLED,
        )
    _record_status(campaign, CampaignStatus.CANCELLED, actor=actor, note=note)
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def activate_automation(*, campaign: Campaign | int, actor=None) -> Campaign:
    campaign = _lock_campaign(campaign)
    if not campaign.is_automation:
        raise Conflict("Only automations are activated; schedule a broadcast.")
    if campaign.status == CampaignStatus.ACTIVE:
        return campaign
    _require_ready(campaign)
    _link_discount_code(campaign, actor)
    _record_status(campaign, CampaignStatus.ACTIVE, actor=actor)
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def pause_automation(*, campaign: Campaign | int, actor=None) -> Campaign:
    campaign = _lock_campaign(campaign)
    if not campaign.is_automation:
        raise Conflict("Only automations are paused.")
    if campaign.status != CampaignStatus.ACTIVE:
        return campaign
    _record_status(campaign, CampaignStatus.PAUSED, actor=actor)
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


# --- Leases -------------------------------------------------------------------------


def _take_lease(campaign_id: int, *, statuses, now: datetime) -> Campaign | None:
    """Hold the campaign for one run; None when another run holds it."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign_id, status__in=statuses)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()))
            .first()
        )
        if campaign is None:
            return None
        campaign.lease_until = timezone.now() + LEASE
        fields = ["lease_until"]
        if campaign.status == CampaignStatus.SCHEDULED:
            if campaign.send_at and campaign.send_at > now:
                return None
            _record_status(campaign, CampaignStatus.SENDING, note="Sending started")
            campaign.started_at = now
            fields += ["status", "started_at", "updated_at"]
        campaign.save(update_fields=fields)
        return campaign


def _renew_lease(campaign: Campaign) -> str | None:
    """Extend the lease; returns the campaign's current status (cancel shows here)."""
    Campaign.objects.filter(pk=campaign.pk).update(lease_until=timezone.now() + LEASE)
    return (
        Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
    )


def _release_lease(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(lease_until=None)


# --- Queueing -----------------------------------------------------------------------


def _insert_messages(campaign: Campaign, rows, now: datetime) -> int:
    """Rows are (customer_id, trigger_key, ok_<channel>...); returns rows offered."""
    messages = [
        Message(
            campaign_id=campaign.pk,
            customer_id=customer_id,
            channel=channel,
            trigger_key=trigger_key,
            created_at=now,
        )
        for customer_id, trigger_key, *flags in rows
        for channel, ok in zip(campaign.channels, flags, strict=True)
        if ok
    ]
    if messages:
        Message.objects.bulk_create(messages, ignore_conflicts=True)
    return len(messages)


def _queue_stream(campaign: Campaign, queryset, columns, make_row, *, size, now) -> int:
    """Read ``queryset`` once, in primary-key order, through a server-side cursor
    (``size`` rows in memory at a time), and insert its messages ``size`` at a time.

    One pass, rather than a keyset query per batch: PostgreSQL cannot carry
    ``pk > last`` into the consent semi-joins, so each keyset query would re-read the
    consent index from its start.
    """
    flags = [f"ok_{channel}" for channel in campaign.channels]
    rows = (
        queryset.order_by("pk")
        .values_list("pk", *columns, *flags)
        .iterator(chunk_size=size)
    )
    offered = 0
    batch: list = []
    for row in rows:
        batch.append(make_row(row))
        if len(batch) >= size:
            offered += _insert_batch(campaign, batch, now)
            batch = []
    if batch:
        offered += _insert_batch(campaign, batch, now)
    return offered


def _insert_batch(campaign: Campaign, rows, now: datetime) -> int:
    with transaction.atomic():
        offered = _insert_messages(campaign, rows, now)
    _renew_lease(campaign)
    return offered


def _queue_broadcast(campaign: Campaign, *, size: int, now: datetime) -> int:
    audience = selectors.campaign_audience(campaign, now=now)
    return _queue_stream(
        campaign, audience, [], lambda r: (r[0], "", *r[1:]), size=size, now=now
    )


def _in_segment(campaign: Campaign, queryset, customer_field: str, now: datetime):
    if not campaign.segment_id:
        return queryset
    members = selectors.segment_customers(campaign.segment, now=now).values("pk")
    return queryset.filter(**{f"{customer_field}__in": members})


def _queue_automation(campaign: Campaign, *, size: int, now: datetime) -> int:
    channels = campaign.channels
    wait = campaign.trigger_after
    if campaign.kind == CampaignKind.ABANDONED_CART:
        carts = selectors.abandoned_carts(
            after=wait, now=now, max_age=AUTOMATION_LOOKBACK
        )
        carts = _in_segment(campaign, carts, "customer_id", now)
        carts = carts.filter(selectors.reachable_on_any(channels, via="customer"))
        carts = carts.annotate(**selectors.reachable_flags(channels, via="customer"))
        return _queue_stream(
            campaign,
            carts,
            ["customer_id"],
            lambda r: (r[1], f"cart:{r[0]}", *r[2:]),
            size=size,
            now=now,
        )
    if campaign.kind == CampaignKind.POST_PURCHASE:
        orders = selectors.paid_orders(after=wait, now=now, max_age=AUTOMATION_LOOKBACK)
        orders = _in_segment(campaign, orders, "customer_id", now)
        orders = orders.filter(selectors.reachable_on_any(channels, via="customer"))
        orders = orders.annotate(**selectors.reachable_flags(channels, via="customer"))
        return _queue_stream(
            campaign,
            orders,
            ["customer_id"],
            lambda r: (r[1], f"order:{r[0]}", *r[2:]),
            size=size,
            now=now,
        )
    if campaign.kind == CampaignKind.BACK_IN_STOCK:
        items = selectors.restocked_items(
            after=wait, now=now, max_age=AUTOMATION_LOOKBACK
        )
        return _queue_wished(
            campaign,
            items,
            ["variant_id", "restock"],
            lambda r: (r[1], f"restock:{r[2]}:{r[3]}", *r[4:]),
            size=size,
            now=now,
        )
    if campaign.kind == CampaignKind.PRICE_DROP:
        items = selectors.price_drop_items(
            after=wait, now=now, percent=settings.OMNISTORE_PRICE_DROP_MIN_PERCENT
        )
        return _queue_wished(
            campaign,
            items,
            ["price"],
            lambda r: (r[1], f"price:{r[0]}:{r[2]:.2f}", *r[3:]),
            size=size,
            now=now,
        )
    if campaign.kind == CampaignKind.WIN_BACK:
        lapsed = selectors.lapsed_customers(after=wait, now=now)
        lapsed = _in_segment(campaign, lapsed, "pk", now)
        lapsed = lapsed.filter(selectors.reachable_on_any(channels))
        lapsed = lapsed.annotate(**selectors.reachable_flags(channels))
        return _queue_stream(
            campaign,
            lapsed,
            ["last_order_id"],
            lambda r: (r[0], f"order:{r[1]}", *r[2:]),
            size=size,
            now=now,
        )
    raise ValidationFailed(f"Not an automation: {campaign.kind}.")  # pragma: no cover


def _queue_wished(campaign: Campaign, items, columns, make_row, *, size, now) -> int:
    """Wishlist items to messages: rows are (item, customer, *columns, *flags); the
    customer is in the message key, so an item on two of their lists is one message."""
    channels = campaign.channels
    via = "wishlist__customer"
    items = _in_segment(campaign, items, f"{via}_id", now)
    items = items.filter(selectors.reachable_on_any(channels, via=via))
    items = items.annotate(**selectors.reachable_flags(channels, via=via))
    return _queue_stream(
        campaign, items, [f"{via}_id", *columns], make_row, size=size, now=now
    )


# --- Delivery -----------------------------------------------------------------------


@dataclass
class SendResult:
    """Counts of one run. ``queued`` is how many messages the audience asked for
    (rows already there are not inserted again); ``deferred`` stayed queued because a
    provider could not be reached; ``busy`` means another run holds the campaign or
    it is not due."""

    campaign_id: int
    queued: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    finished: bool = False
    busy: bool = False


@dataclass
class _Run:
    """What one run shares across batches: compiled templates, featured items, best
    sellers (read once, not per batch)."""

    campaign: Campaign
    templates: dict[str, CompiledTemplate]
    now: datetime
    featured: list[dict] = field(default_factory=list)
    sellers: dict | None = None

    def uses(self, name: str) -> bool:
        return any(t.uses(name) for t in self.templates.values())


def _prepare_run(campaign: Campaign, now: datetime) -> _Run:
    templates = {
        t.channel: compile_template(channel=t.channel, subject=t.subject, body=t.body)
        for t in campaign.templates.all()
        if t.channel in campaign.channels
    }
    run = _Run(campaign=campaign, templates=templates, now=now)
    if run.uses("featured"):
        run.featured = selectors.featured_items(campaign)
    if run.uses("recommendations"):
        run.sellers = selectors.best_sellers(now=now)
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
    cards = selectors.store_cards(stores) if stores and run.uses("store") else {}
    stock = {}
    if run.featured and stores:
        stock = selectors.store_stock(
            variant_ids=[item["variant_id"] for item in run.featured], store_ids=stores
        )
    recs = {}
    if run.sellers is not None:
        recs = selectors.recommendations(
            customer_ids={row[1] for row in rows}, sellers=run.sellers
        )
    carts: dict = {}
    orders: dict = {}
    wished = _Wished()
    if run.campaign.is_automation:
        keys = [row[3].split(":", 1) for row in rows if ":" in row[3]]
        cart_ids = {int(v) for k, v in keys if k == "cart"}
        order_ids = {int(v) for k, v in keys if k == "order"}
        carts = selectors.cart_contents(cart_ids) if cart_ids else {}
        orders = selectors.order_cards(order_ids) if order_ids else {}
        variant_ids = {int(v.split(":")[0]) for k, v in keys if k == "restock"}
        item_ids = {int(v.split(":")[0]) for k, v in keys if k == "price"}
        if (variant_ids or item_ids) and run.uses("wishlist_item"):
            wished = _Wished(
                *selectors.wishlist_cards(
                    variant_ids=variant_ids, item_ids=item_ids, store_ids=stores
                )
            )
    site = settings.OMNISTORE_SITE_URL
    contexts = {}
    for pk, customer_id, _channel, trigger, _ok, first_name, _e, _p, store in rows:
        kind, _, ref = trigger.partition(":")
        contexts[pk] = {
            "first_name": first_name,
            "store": cards.get(store),
            "featured": [
                {
                    "name": item["name"],
                    "sku": item["sku"],
                    "price": item["price"],
                    "in_store": stock.get((item["variant_id"], store), 0),
                }
                for item in run.featured
            ],
            "recommendations": recs.get(customer_id, []),
            "discount_code": run.campaign.discount_code,
            "shop_url": site,
            "cart": carts.get(int(ref)) if kind == "cart" and ref else None,
            "order": orders.get(int(ref)) if kind == "order" and ref else None,
            "wishlist_item": wished.card(kind, ref, store),
        }
    return contexts


@dataclass
class _Wished:
    """The wishlist content of a batch (``selectors.wishlist_cards``)."""

    variants: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    stock: dict = field(default_factory=dict)

    def card(self, kind: str, ref: str, store: int | None) -> dict | None:
        """``restock:<variant>:<n>`` and ``price:<item>:<price>`` as the message
        shows them: the price drop at the price it was decided on."""
        head, _, rest = ref.partition(":")
        if kind == "restock":
            variant_id, price, was = int(head), None, None
        elif kind == "price" and int(head) in self.items:
            item = self.items[int(head)]
            variant_id, price, was = (
                item["variant_id"],
                Decimal(rest),
                item["price_at_add"],
            )
        else:
            return None
        card = self.variants.get(variant_id)
        if card is None:
            return None
        shown = {
            **card,
            "in_store": self.stock.get((variant_id, store), 0) if store else None,
            "was_price": None,
            "saving_percent": None,
        }
        if price is not None and was:
            shown["price"] = f"{price:.2f}"
            shown["was_price"] = f"{was:.2f}"
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
                    selectors.message_deliverable(), output_field=BooleanField()
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
        contexts = _contexts(run, rows)
        outgoing: dict[str, list[OutgoingMessage]] = defaultdict(list)
        for row in rows:
            channel = row[2]
            rendered = render_message(
                run.templates[channel], contexts[row[0]], message_id=row[0]
            )
            headers = {}
            if channel == MessageChannel.EMAIL:
                headers["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
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
        by_pk = {row[0]: row for row in rows}
        for channel, messages in outgoing.items():
            try:
                results = get_backend(channel).send_messages(messages)
            except Exception as error:  # provider unreachable: retried by a later run
                logger.warning("campaigns: %s backend failed: %r", channel, error)
                counts.deferred += _defer([m.message_id for m in messages], error)
                continue
            _record_results(run, messages, results, by_pk, counts)
    return last, counts


def _defer(ids: list[int], error: Exception) -> int:
    Message.objects.filter(pk__in=ids).update(
        attempts=F("attempts") + 1, error=repr(error)[:500]
    )
    Message.objects.filter(pk__in=ids, attempts__gte=MAX_ATTEMPTS).update(
        status=MessageStatus.FAILED
    )
    return len(ids)


def _record_results(run: _Run, messages, results, by_pk, counts: SendResult) -> None:
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
        (m.message_id, r) for m, r in zip(messages, results, strict=True) if not r.ok
    ]
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
        run, [m for m, r in zip(messages, results, strict=True) if r.ok], by_pk
    )


def _record_sent_events(run: _Run, messages: list[OutgoingMessage], by_pk) -> None:
    """One timeline row per message sent: a batch of a thousand sends is one INSERT."""
    campaign = run.campaign
    record_events(
        [
            {
                "customer": by_pk[m.message_id][1],
                "kind": EVENT_SENT,
                "summary": f"{MessageChannel(m.channel).label} sent: {campaign.name}",
                "channel": m.channel,
                "data": {"campaign_id": campaign.pk, "message_id": m.message_id},
                "reference_type": REFERENCE,
                "reference_id": m.message_id,
                "occurred_at": run.now,
            }
            for m in messages
        ]
    )


def _deliver_queued(run: _Run, *, size: int) -> SendResult:
    total = SendResult(campaign_id=run.campaign.pk)
    after = 0
    while True:
        status = _renew_lease(run.campaign)
        if status == CampaignStatus.CANCELLED or status == CampaignStatus.PAUSED:
            break
        after, counts = _deliver_batch(run, after=after, size=size)
        if not after:
            break
        for name in ("sent", "failed", "skipped", "deferred"):
            setattr(total, name, getattr(total, name) + getattr(counts, name))
    return total


def send_campaign(
    *,
    campaign: Campaign | int,
    now: datetime | None = None,
    batch_size: int | None = None,
) -> SendResult:
    """Send a due broadcast: queue every reachable customer of its segment, then deliver.

    Safe to run again or twice at once: the second run finds the lease taken, a later
    one sends only what is still queued. Not atomic as a whole on purpose: each batch
    commits, so progress survives a crash.
    """
    now = now or timezone.now()
    pk = campaign.pk if isinstance(campaign, Campaign) else int(campaign)
    held = _take_lease(
        pk, statuses=[CampaignStatus.SCHEDULED, CampaignStatus.SENDING], now=now
    )
    if held is None or held.kind != CampaignKind.BROADCAST:
        return SendResult(campaign_id=pk, busy=True)
    size = _batch_size(batch_size)
    try:
        queued = _queue_broadcast(held, size=size, now=now)
        result = _deliver_queued(_prepare_run(held, now), size=size)
        result.queued = queued
        with transaction.atomic():
            campaign = _lock_campaign(held.pk)
            left = Message.objects.filter(
                campaign=campaign, status=MessageStatus.QUEUED
            ).exists()
            if campaign.status == CampaignStatus.SENDING and not left:
                _record_status(campaign, CampaignStatus.SENT, note="All messages sent")
                campaign.finished_at = timezone.now()
                campaign.save(update_fields=["status", "finished_at", "updated_at"])
                result.finished = True
    finally:
        _release_lease(held)
    return result


def send_due_campaigns(*, now: datetime | None = None) -> list[int]:
    """Send every due broadcast here and now (the beat task sends each in a task of
    its own instead); returns the ids sent."""
    now = now or timezone.now()
    due = selectors.due_campaigns(now=now)
    return [pk for pk in due if not send_campaign(campaign=pk, now=now).busy]


# --- Automations --------------------------------------------------------------------


def run_automation(
    *, campaign: Campaign | int, now: datetime | None = None, batch_size=None
) -> SendResult:
    now = now or timezone.now()
    pk = campaign.pk if isinstance(campaign, Campaign) else int(campaign)
    held = _take_lease(pk, statuses=[CampaignStatus.ACTIVE], now=now)
    if held is None or held.kind not in AUTOMATION_KINDS:
        return SendResult(campaign_id=pk, busy=True)
    size = _batch_size(batch_size)
    try:
        queued = _queue_automation(held, size=size, now=now)
        result = _deliver_queued(_prepare_run(held, now), size=size)
        result.queued = queued
    finally:
        _release_lease(held)
    return result


def run_automations(*, now: datetime | None = None, batch_size=None) -> dict[str, int]:
    """Restocks first (what back in stock messages), every active automation once,
    then the pickup reminders of the orders app (its own flow, each order reminded
    once). Returns messages sent per automation."""
    now = now or timezone.now()
    detect_restocks(now=now)
    sent: dict[str, int] = {}
    automations = Campaign.objects.filter(
        kind__in=AUTOMATION_KINDS, status=CampaignStatus.ACTIVE
    ).order_by("pk")
    for pk, name in automations.values_list("pk", "name"):
        result = run_automation(campaign=pk, now=now, batch_size=batch_size)
        sent[name] = result.sent
    sent["pickup reminders"] = len(order_services.send_pickup_reminders(now=now))
    return sent


# --- Back in stock ------------------------------------------------------------------


def watch_stock_changes(*, changes) -> int:
    """Note the (variant, location) pairs of a committed stock change whose variant is
    on a wishlist, for ``detect_restocks``.

    Runs in the request that changed the stock, after its commit: one read of the
    wishlist items' variant index, and an INSERT only when a changed variant is wished
    (``ON CONFLICT DO NOTHING``: a pair already waiting is not written again). Rows go
    in (variant, location) order, so two inserts of the same pairs cannot deadlock.
    """
    pairs = sorted({(int(variant), int(location)) for variant, location in changes})
    if not pairs:
        return 0
    wished = selectors.wished_variant_ids({variant for variant, _ in pairs})
    rows = [
        StockWatch(variant_id=variant, location_id=location)
        for variant, location in pairs
        if variant in wished
    ]
    if rows:
        StockWatch.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def detect_restocks(*, now: datetime | None = None, batch_size: int | None = None):
    """Record a ``Restock`` for every watched variant that came back from nothing:
    online, or at a shop that is a wisher's preferred store. Returns how many.

    "From nothing" compares the units now with those last seen (``StockSnapshot``).
    A scope not seen since the variant's earliest active wishlist item was added is
    compared with its units at that moment, read back from the ledger: an item wished
    while sold out comes back even if nobody looked in between. A top-up of stock that
    was there, or stock that went and came back between two runs, is no restock.

    Safe to run twice at once: a watched pair is taken by one run only, and the
    snapshots of a variant are locked while it is looked at.
    """
    now = now or timezone.now()
    size = max(int(batch_size or RESTOCK_BATCH), 1)
    found = 0
    while True:
        taken, recorded = _detect_restock_batch(now, size)
        found += recorded
        if taken < size:
            return found


@transaction.atomic
def _detect_restock_batch(now: datetime, size: int) -> tuple[int, int]:
    """Take watched pairs and delete them *before* reading the stock: a change that
    committed while its pair was still waiting is in what is read here; one that
    commits later writes a new pair for the next run."""
    taken = list(
        StockWatch.objects.select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", "variant_id", "location_id")[:size]
    )
    if not taken:
        return 0, 0
    StockWatch.objects.filter(pk__in=[pk for pk, _, _ in taken]).delete()
    wished = selectors.wished_stock({variant for _, variant, _ in taken})
    shops = {
        (variant, location)
        for _, variant, location in taken
        if variant in wished and location in wished[variant].stores
    }
    scopes = {(variant, None) for variant in wished} | shops
    if not scopes:
        return len(taken), 0
    snapshots = _lock_snapshots(scopes)
    units = selectors.wished_units(variant_ids=list(wished), pairs=shops)
    stale = {
        key
        for key, seen in snapshots.items()
        if seen.units is None or seen.observed_at < wished[key[0]].since
    }
    before = selectors.wished_units_at(
        since={variant: wished[variant].since for variant, _ in stale},
        pairs=[key for key in stale if key[1] is not None],
    )
    back = []
    for key, seen in snapshots.items():
        was = before[key] if key in stale else seen.units
        if was <= 0 < units[key]:
            back.append((key, units[key]))
        seen.units = units[key]
        seen.observed_at = now
    StockSnapshot.objects.bulk_update(
        list(snapshots.values()), ["units", "observed_at"]
    )
    if back:
        _record_restocks(back, now)
    return len(taken), len(back)


def _scope_order(scope) -> tuple[int, int]:
    return scope[0], scope[1] or 0


def _lock_snapshots(scopes) -> dict:
    """The snapshot of each scope (created unseen when missing), locked in
    primary-key order, so two runs looking at one variant take turns."""
    StockSnapshot.objects.bulk_create(
        [
            StockSnapshot(variant_id=variant, location_id=location)
            for variant, location in sorted(scopes, key=_scope_order)
        ],
        ignore_conflicts=True,
    )
    rows = (
        StockSnapshot.objects.select_for_update()
        .filter(variant_id__in={variant for variant, _ in scopes})
        .order_by("pk")
    )
    return {
        (row.variant_id, row.location_id): row
        for row in rows
        if (row.variant_id, row.location_id) in scopes
    }


def _record_restocks(back, now: datetime) -> None:
    """One number per variant and look, shared by its scopes (its snapshots are
    locked, so the number cannot be taken twice)."""
    variants = {variant for (variant, _), _ in back}
    last = dict(
        Restock.objects.filter(variant_id__in=variants)
        .order_by()
        .values("variant_id")
        .annotate(n=Max("number"))
        .values_list("variant_id", "n")
    )
    Restock.objects.bulk_create(
        [
            Restock(
                variant_id=variant,
                location_id=location,
                number=last.get(variant, 0) + 1,
                units=units,
                at=now,
            )
            for (variant, location), units in sorted(
                back, key=lambda pair: _scope_order(pair[0])
            )
        ]
    )


# --- Tracking -----------------------------------------------------------------------


def _message(message_id: int) -> Message:
    message = Message.objects.select_related("campaign").filter(pk=message_id).first()
    if message is None:
        raise NotFound("Message not found.")
    return message


def record_open(*, message_id: int, now: datetime | None = None) -> bool:
    """The first open is kept and goes on the timeline; later ones change nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        first = Message.objects.filter(pk=message_id, opened_at__isnull=True).update(
            opened_at=now
        )
        if not first:
            return False
        message = _message(message_id)
        record_event(
            customer=Customer(pk=message.customer_id),
            kind=EVENT_OPENED,
            summary=f"Opened {MessageChannel(message.channel).label}: "
            f"{message.campaign.name}"[:255],
            channel=message.channel,
            data={"campaign_id": message.campaign_id, "message_id": message.pk},
            reference_type=REFERENCE,
            reference_id=str(message.pk),
            occurred_at=now,
        )
    return True


def record_click(*, message_id: int, url: str, now: datetime | None = None) -> bool:
    """Every click moves ``last_clicked_at`` (attribution reads it); the first one also
    counts as an open and goes on the timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        first = Message.objects.filter(pk=message_id, clicked_at__isnull=True).update(
            clicked_at=now, last_clicked_at=now
        )
        if not first:
            Message.objects.filter(pk=message_id).update(last_clicked_at=now)
            return False
        Message.objects.filter(pk=message_id, opened_at__isnull=True).update(
            opened_at=now
        )
        message = _message(message_id)
        record_event(
            customer=Customer(pk=message.customer_id),
            kind=EVENT_CLICKED,
            summary=f"Clicked {MessageChannel(message.channel).label}: "
            f"{message.campaign.name}"[:255],
            channel=message.channel,
            data={
                "campaign_id": message.campaign_id,
                "message_id": message.pk,
                "url": url[:500],
            },
            reference_type=REFERENCE,
            reference_id=str(message.pk),
            occurred_at=now,
        )
    return True


def message_exists(message_id: int) -> bool:
    return Message.objects.filter(pk=message_id).exists()


@transaction.atomic
def unsubscribe(*, message_id: int, now: datetime | None = None) -> Message:
    """Withdraw the consent for the message's channel (through the customers app, so
    the history and the timeline say so); repeating it changes nothing."""
    now = now or timezone.now()
    message = _message(message_id)
    set_consent(
        customer=Customer(pk=message.customer_id),
        channel=message.channel,
        granted=False,
        source_channel=Channel.WEB,
    )
    Message.objects.filter(pk=message.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    message.refresh_from_db(fields=["unsubscribed_at"])
    return message


# --- Attribution --------------------------------------------------------------------


def attribute_orders(*, since: datetime, now: datetime | None = None) -> int:
    """Attribute orders placed since ``since`` to the campaign whose message the buyer
    clicked last within ``OMNISTORE_ATTRIBUTION_WINDOW`` before ordering.

    The orders app sends no placed-order signal campaigns could hear, so this runs
    periodically (and on demand); it is one UPDATE, touches only orders not attributed
    yet, and running it again changes nothing.
    """
    window = settings.OMNISTORE_ATTRIBUTION_WINDOW
    placed = OuterRef("created_at")
    clicks = Message.objects.filter(customer_id=OuterRef("customer_id")).filter(
        Q(last_clicked_at__lte=placed, last_clicked_at__gte=placed - window)
        | Q(clicked_at__lte=placed, clicked_at__gte=placed - window)
    )
    latest = clicks.order_by("-last_clicked_at", "-pk").values("campaign_id")[:1]
    return (
        Order.objects.filter(
            created_at__gte=since,
            attributed_campaign_id__isnull=True,
            customer__isnull=False,
        )
        .filter(Exists(clicks))
        .update(attributed_campaign_id=Subquery(latest))
    )
