"""The settings of each feature (the OMNISTORE_* blocks): business rules, limits
and the features' own knobs, read from the environment once. ``base`` imports them;
the periodic tasks, throttle rates and schema names they need are wired in ``base``."""

import os
from datetime import timedelta
from decimal import Decimal

from .env import (
    env_bool,
    env_decimal,
    env_decimal_or_none,
    env_float,
    env_int,
    env_int_or_none,
    env_list,
)

# --- Product images (inventory.images) ---------------------------------------
# What an upload may be: these formats, at most this many bytes and pixels a side.
OMNISTORE_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
OMNISTORE_IMAGE_MAX_BYTES = env_int("OMNISTORE_IMAGE_MAX_BYTES", 8 * 1024 * 1024)
OMNISTORE_IMAGE_MIN_SIDE = 64
OMNISTORE_IMAGE_MAX_SIDE = 6000

# --- Business settings ----------------------------------------------------
OMNISTORE_CURRENCY = os.environ.get("OMNISTORE_CURRENCY", "EUR")
OMNISTORE_DEFAULT_REGION = os.environ.get("OMNISTORE_DEFAULT_REGION", "IT")
OMNISTORE_LOW_STOCK_DEFAULT = 3
# Units of one item an associate may add at one location by adjustment ("found")
# in 24 hours; more is a manager's move, a delivery received or a count (empty: no
# limit).
OMNISTORE_STOCK_ADJUST_UP_MAX = env_int_or_none("OMNISTORE_STOCK_ADJUST_UP_MAX", "20")
# Units of one item an associate may ask from one location for their shop in 24
# hours (a transfer with no order behind it; empty: no limit).
OMNISTORE_TRANSFER_ASK_MAX = env_int_or_none("OMNISTORE_TRANSFER_ASK_MAX", "20")
# Days an ask for stock (no order behind it) may wait to be shipped; then it lapses
# and the units it held at the source are free again (0: never).
OMNISTORE_TRANSFER_ASK_DAYS = env_int("OMNISTORE_TRANSFER_ASK_DAYS", 7)
OMNISTORE_PICKUP_EXPIRY_DAYS = env_int("OMNISTORE_PICKUP_EXPIRY_DAYS", 7)
OMNISTORE_PICKUP_REMINDER_DAYS = env_int("OMNISTORE_PICKUP_REMINDER_DAYS", 2)
# Days after it shipped when a delivery nobody marked delivered is taken as
# delivered (a periodic task): its points can then be spent.
OMNISTORE_PRESUME_DELIVERED_DAYS = env_int("OMNISTORE_PRESUME_DELIVERED_DAYS", 7)
OMNISTORE_RETURN_WINDOW_DAYS = env_int("OMNISTORE_RETURN_WINDOW_DAYS", 30)
# A return started online is received as accepted until its window ends or this
# many days after it was started, whichever is later.
OMNISTORE_RETURN_BRING_DAYS = env_int("OMNISTORE_RETURN_BRING_DAYS", 14)
# Days after an order in which its customer asks for its invoice themselves (the API);
# later, a shop issues it (staff order page, admin), on record with who did.
OMNISTORE_INVOICE_REQUEST_DAYS = env_int("OMNISTORE_INVOICE_REQUEST_DAYS", 30)
OMNISTORE_ATTRIBUTION_WINDOW = timedelta(days=7)
# Points earned per unit of currency spent.
OMNISTORE_LOYALTY_POINTS_PER_UNIT = Decimal("1")
# Points spent as a tender: this many points pay one unit of the order's currency.
OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT = env_int(
    "OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT", 100
)
# Loyalty tiers (docs/loyalty.md), from the kept spend (orders less refunds) of the
# last OMNISTORE_LOYALTY_TIER_MONTHS months in every channel: ``min_spend`` in
# OMNISTORE_CURRENCY, the points ``multiplier`` on earning, ``free_delivery``. The
# first tier starts at 0. Spend in another currency counts at its rate in
# OMNISTORE_LOYALTY_SPEND_RATES (units of OMNISTORE_CURRENCY per unit; a fixed rate for
# tiers only, never for money); a currency without a rate does not count.
OMNISTORE_LOYALTY_TIERS = [
    {"name": "Member", "min_spend": "0", "multiplier": "1"},
    {"name": "Silver", "min_spend": "500", "multiplier": "1.25"},
    {"name": "Gold", "min_spend": "1500", "multiplier": "1.5", "free_delivery": True},
]
OMNISTORE_LOYALTY_TIER_MONTHS = 12
OMNISTORE_LOYALTY_SPEND_RATES = {"CHF": "0.95"}
# Gift cards: valid this many days from issue; this many wrong PINs in a row lock a
# card for the lock minutes (counted in the cache, per card); the most one card holds.
OMNISTORE_GIFT_CARD_VALID_DAYS = env_int("OMNISTORE_GIFT_CARD_VALID_DAYS", 1095)
OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES = env_int(
    "OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES", 5
)
OMNISTORE_GIFT_CARD_PIN_LOCK_MINUTES = env_int(
    "OMNISTORE_GIFT_CARD_PIN_LOCK_MINUTES", 30
)
OMNISTORE_GIFT_CARD_MAX_AMOUNT = env_decimal(
    "OMNISTORE_GIFT_CARD_MAX_AMOUNT", "1000.00"
)
# The least a gift card is sold for, online and at the counter (a card given as a
# refund holds what it refunds).
OMNISTORE_GIFT_CARD_MIN_AMOUNT = env_decimal("OMNISTORE_GIFT_CARD_MIN_AMOUNT", "5.00")
# Store credit: each credit (a return refunded as credit, a credit payment given
# back) can be spent for this many days; what is left of it then expires, the credit
# expiring first spent first. 0: store credit never expires.
OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = int(
    os.environ.get("OMNISTORE_STORE_CREDIT_EXPIRY_DAYS", "365")
)
OMNISTORE_SITE_URL = os.environ.get("OMNISTORE_SITE_URL", "http://127.0.0.1:8000")
# The customer-facing website (the storefront on the API): campaign messages link to
# it (``{{ shop_url }}``, as ``{{ shop_url }}/cart/``); this site has no cart page.
OMNISTORE_STOREFRONT_URL = (
    os.environ.get("OMNISTORE_STOREFRONT_URL") or OMNISTORE_SITE_URL
)
# seed_demo's logins share a public password: production settings refuse it.
OMNISTORE_DEMO_DATA_ALLOWED = True
# How long a process keeps its list of active webhook endpoints (0: read every time).
OMNISTORE_WEBHOOK_ENDPOINTS_TTL = env_float("OMNISTORE_WEBHOOK_ENDPOINTS_TTL", 5.0)
# --- Taxes ----------------------------------------------------------------
# How long a process keeps the markets and VAT rates (0: read every time).
OMNISTORE_TAX_TABLE_TTL = env_float("OMNISTORE_TAX_TABLE_TTL", 60.0)
# Seconds a process leaves the shared cache alone after a call to it failed.
OMNISTORE_CACHE_PAUSE = env_float("OMNISTORE_CACHE_PAUSE", 5.0)
# EU distance sales (OSS): once the EU-wide threshold is passed, an online delivery
# is taxed in the destination country; below it, in the seller's country.
OMNISTORE_OSS_THRESHOLD_REACHED = env_bool("OMNISTORE_OSS_THRESHOLD_REACHED", True)
# --- Security: tracking links, webhooks, pickup codes ------------------------
# Hosts a campaign's click-tracking link may redirect to, besides the host of
# OMNISTORE_SITE_URL (a leading dot admits subdomains); and how long a link redirects.
OMNISTORE_TRACKING_ALLOWED_HOSTS = env_list("OMNISTORE_TRACKING_ALLOWED_HOSTS", "")
OMNISTORE_TRACKING_LINK_MAX_AGE_DAYS = env_int(
    "OMNISTORE_TRACKING_LINK_MAX_AGE_DAYS", 90
)
# Days a storefront API token works from its issue; then 401 until the customer
# signs in again (0: tokens never expire).
OMNISTORE_API_TOKEN_MAX_AGE_DAYS = env_int("OMNISTORE_API_TOKEN_MAX_AGE_DAYS", 90)
# Webhook URLs: https only unless allowed here; hosts resolving to private, loopback,
# link-local, multicast or reserved addresses are refused, except networks listed in
# OMNISTORE_WEBHOOK_ALLOWED_NETWORKS (CIDR). The resolver is a dotted path.
OMNISTORE_WEBHOOK_ALLOW_HTTP = env_bool("OMNISTORE_WEBHOOK_ALLOW_HTTP", False)
OMNISTORE_WEBHOOK_ALLOWED_NETWORKS = env_list("OMNISTORE_WEBHOOK_ALLOWED_NETWORKS", "")
OMNISTORE_WEBHOOK_RESOLVER = "omnistore.core.netguard.resolve_host"
OMNISTORE_WEBHOOK_TIMEOUT = env_float("OMNISTORE_WEBHOOK_TIMEOUT", 5.0)
OMNISTORE_WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024
# Wrong pickup codes in a row before the order is locked until a manager unlocks it.
OMNISTORE_PICKUP_CODE_MAX_FAILURES = env_int("OMNISTORE_PICKUP_CODE_MAX_FAILURES", 5)
# Seconds between the first commit that writes an outbox row and the drain that
# delivers it: what is committed meanwhile goes in the same batch.
OMNISTORE_OUTBOX_DRAIN_DELAY = env_float("OMNISTORE_OUTBOX_DRAIN_DELAY", 0.2)
# Rows a drain claimed are left alone by other drains this long: when its worker dies,
# what it had not delivered waits this long for the next drain.
OMNISTORE_OUTBOX_CLAIM_SECONDS = env_float("OMNISTORE_OUTBOX_CLAIM_SECONDS", 60.0)

# --- Card-present terminals ----------------------------------------------
# The terminal provider (orders.terminals) of the shops' paired readers; empty: a
# card at the counter is recorded as taken at the till. "simulated" is driven from
# the sale screen (approve / decline) and by the tests.
OMNISTORE_TERMINAL_PROVIDER = os.environ.get("OMNISTORE_TERMINAL_PROVIDER", "simulated")
# How long the counter waits for a card before the payment times out.
OMNISTORE_TERMINAL_TIMEOUT_SECONDS = env_int("OMNISTORE_TERMINAL_TIMEOUT_SECONDS", 120)
# How often the waiting screen asks for the result.
OMNISTORE_TERMINAL_POLL_SECONDS = env_int("OMNISTORE_TERMINAL_POLL_SECONDS", 1)


# --- Campaigns ------------------------------------------------------------
OMNISTORE_SMS_BACKEND = os.environ.get(
    "OMNISTORE_SMS_BACKEND", "campaigns.backends.ConsoleBackend"
)
OMNISTORE_PUSH_BACKEND = os.environ.get(
    "OMNISTORE_PUSH_BACKEND", "campaigns.backends.ConsoleBackend"
)
OMNISTORE_CAMPAIGN_BATCH_SIZE = env_int("OMNISTORE_CAMPAIGN_BATCH_SIZE", 1000)
OMNISTORE_MEMORY_BACKEND_KEEP = 10_000
# A campaign run holds its campaign this long, renewed every third of it while the run
# lives: a run whose worker died is resumed within a lease and a due-campaigns pass.
OMNISTORE_CAMPAIGN_LEASE_SECONDS = env_float("OMNISTORE_CAMPAIGN_LEASE_SECONDS", 30.0)
# A wished item's price must fall at least this much below its price when added
# before the price-drop automation writes (percent; 0: any drop).
OMNISTORE_PRICE_DROP_MIN_PERCENT = env_decimal("OMNISTORE_PRICE_DROP_MIN_PERCENT", "10")
# The client book (docs/clienteling.md): a client with no purchase for this many days
# is lapsed; a purchase asks for a follow-up this many days later; a birthday task
# appears this many days ahead; "recent" purchases and wishlist changes are this new.
OMNISTORE_CLIENTBOOK_LAPSED_DAYS = env_int("OMNISTORE_CLIENTBOOK_LAPSED_DAYS", 180)
OMNISTORE_CLIENTBOOK_FOLLOW_UP_DAYS = env_int("OMNISTORE_CLIENTBOOK_FOLLOW_UP_DAYS", 7)
OMNISTORE_CLIENTBOOK_BIRTHDAY_LEAD_DAYS = env_int(
    "OMNISTORE_CLIENTBOOK_BIRTHDAY_LEAD_DAYS", 7
)
OMNISTORE_CLIENTBOOK_RECENT_DAYS = 30

# --- Browse events (customers.services.browsing) ---------------------------
# Product views wait in a buffer (OMNISTORE_BROWSE_BUFFER_URL, beside REDIS_URL in
# ``base``) and are written in batches of this many rows.
OMNISTORE_BROWSE_DRAIN_BATCH = env_int("OMNISTORE_BROWSE_DRAIN_BATCH", 2000)
# Seconds between drains (beat); an event older than this many days when drained
# (a replayed or skewed client clock) is dropped.
OMNISTORE_BROWSE_DRAIN_EVERY = env_float("OMNISTORE_BROWSE_DRAIN_EVERY", 5.0)
OMNISTORE_BROWSE_MAX_AGE_DAYS = 30
# "Viewed several times, not bought": views of one product in a window of days, and
# at most one such message per customer per CUSTOMER_CAP days, per product per
# PRODUCT_CAP days.
OMNISTORE_VIEWED_NOT_BOUGHT_VIEWS = env_int("OMNISTORE_VIEWED_NOT_BOUGHT_VIEWS", 3)
OMNISTORE_VIEWED_NOT_BOUGHT_DAYS = env_int("OMNISTORE_VIEWED_NOT_BOUGHT_DAYS", 7)
OMNISTORE_VIEWED_NOT_BOUGHT_CUSTOMER_CAP_DAYS = env_int(
    "OMNISTORE_VIEWED_NOT_BOUGHT_CUSTOMER_CAP_DAYS", 7
)
OMNISTORE_VIEWED_NOT_BOUGHT_PRODUCT_CAP_DAYS = env_int(
    "OMNISTORE_VIEWED_NOT_BOUGHT_PRODUCT_CAP_DAYS", 30
)

# The till at the counter: the notes and coins a drawer is counted in, by currency
# (highest first; a currency not listed is counted in OMNISTORE_CURRENCY's; the
# largest note is also the most change a cash sale gives), and the over/short a
# close may show before a store manager must approve it.
OMNISTORE_TILL_DENOMINATIONS = {
    currency: {
        kind: [Decimal(value) for value in values.split()]
        for kind, values in (("notes", notes), ("coins", coins))
    }
    for currency, notes, coins in (
        ("EUR", "500 200 100 50 20 10 5", "2 1 0.50 0.20 0.10 0.05 0.02 0.01"),
        ("CHF", "1000 200 100 50 20 10", "5 2 1 0.50 0.20 0.10 0.05"),
        ("GBP", "50 20 10 5", "2 1 0.50 0.20 0.10 0.05 0.02 0.01"),
        ("USD", "100 50 20 10 5 2 1", "0.25 0.10 0.05 0.01"),
        ("SEK", "1000 500 200 100 50 20", "10 5 2 1"),
        ("DKK", "1000 500 200 100 50", "20 10 5 2 1 0.50"),
        ("NOK", "1000 500 200 100", "20 10 5 1"),
        ("PLN", "500 200 100 50 20 10", "5 2 1 0.50 0.20 0.10 0.05 0.02 0.01"),
        ("CZK", "5000 2000 1000 500 200 100", "50 20 10 5 2 1"),
    )
}
OMNISTORE_TILL_TOLERANCE = env_decimal("OMNISTORE_TILL_TOLERANCE", "5.00")
# The most one cash in may put into the drawer (empty: no limit).
OMNISTORE_TILL_CASH_IN_MAX = env_decimal_or_none(
    "OMNISTORE_TILL_CASH_IN_MAX", "5000.00"
)

# --- Payments -------------------------------------------------------------
# "test" (no gateway: demo, tests, benchmark) or "stripe". Production refuses "test".
OMNISTORE_PAYMENT_PROVIDER = os.environ.get("OMNISTORE_PAYMENT_PROVIDER", "test")
OMNISTORE_PAYMENT_TEST_PROVIDER_ALLOWED = True
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
STRIPE_TIMEOUT = env_float("STRIPE_TIMEOUT", 20.0)
# Minutes a confirmed payment intent no order took is left for its checkout before
# the sweep gives the money back (orders.services.payment_release).
OMNISTORE_UNCLAIMED_PAYMENT_GRACE = env_int("OMNISTORE_UNCLAIMED_PAYMENT_GRACE", 30)

# --- API schema and docs --------------------------------------------------
# /api/schema/ and /api/docs/ for anyone (development, the demo, the tests); the
# production settings turn this off: staff only there.
OMNISTORE_API_DOCS_PUBLIC = env_bool("OMNISTORE_API_DOCS_PUBLIC", True)

# --- Manager approvals at the counter (omnistore.approvals.policy) ---------
# A threshold left empty in the environment turns that approval off. The till's
# over/short limit is OMNISTORE_TILL_TOLERANCE above.
OMNISTORE_APPROVAL_REFUND_ABOVE = env_decimal_or_none(
    "OMNISTORE_APPROVAL_REFUND_ABOVE", "150.00"
)
OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT = env_decimal_or_none(
    "OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT", "10"
)
OMNISTORE_APPROVAL_DISCOUNT_ABOVE_PERCENT = env_decimal_or_none(
    "OMNISTORE_APPROVAL_DISCOUNT_ABOVE_PERCENT", "20"
)
OMNISTORE_APPROVAL_RETURN_OUTSIDE_WINDOW = env_bool(
    "OMNISTORE_APPROVAL_RETURN_OUTSIDE_WINDOW", True
)
OMNISTORE_APPROVAL_RETURN_WITHOUT_RECEIPT = env_bool(
    "OMNISTORE_APPROVAL_RETURN_WITHOUT_RECEIPT", True
)
OMNISTORE_APPROVAL_PICKUP_BY_IDENTITY = env_bool(
    "OMNISTORE_APPROVAL_PICKUP_BY_IDENTITY", True
)
OMNISTORE_APPROVAL_GIFT_CARD_VOID = env_bool("OMNISTORE_APPROVAL_GIFT_CARD_VOID", True)
# A delivery fee waived on a sale a shop sends home waits for a manager.
OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER = env_bool(
    "OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER", True
)
# A pickup locked after wrong codes is unlocked by a manager, or with their approval.
OMNISTORE_APPROVAL_PICKUP_UNLOCK = env_bool("OMNISTORE_APPROVAL_PICKUP_UNLOCK", True)
# A gift card locked after wrong PINs is unlocked by a manager, or with their approval.
OMNISTORE_APPROVAL_GIFT_CARD_UNLOCK = env_bool(
    "OMNISTORE_APPROVAL_GIFT_CARD_UNLOCK", True
)
OMNISTORE_APPROVAL_EXPIRY_MINUTES = env_int("OMNISTORE_APPROVAL_EXPIRY_MINUTES", 10)
OMNISTORE_APPROVAL_PIN_MAX_FAILURES = env_int("OMNISTORE_APPROVAL_PIN_MAX_FAILURES", 5)
# Click and collect is promised ready this many hours after it is placed; the
# manager pages list the pickups past it.
OMNISTORE_PICKUP_PROMISE_HOURS = env_int("OMNISTORE_PICKUP_PROMISE_HOURS", 4)
OMNISTORE_APPROVAL_PIN_LOCK_MINUTES = env_int("OMNISTORE_APPROVAL_PIN_LOCK_MINUTES", 15)
# A PIN locked this many times within 24 hours of the first of those locks stays
# locked until HQ lifts it in the admin (0: never held).
OMNISTORE_APPROVAL_PIN_MAX_LOCKS = env_int("OMNISTORE_APPROVAL_PIN_MAX_LOCKS", 3)

# --- Appointments ---------------------------------------------------------------------
# Minutes each kind of appointment takes; slots start every step within the shop's
# appointment hours (every duration a multiple of the step).
OMNISTORE_APPOINTMENT_MINUTES = {"styling": 60, "fitting": 30}
OMNISTORE_APPOINTMENT_SLOT_MINUTES = 30
# How far ahead a customer may book, and how long before the start a reminder leaves.
OMNISTORE_APPOINTMENT_HORIZON_DAYS = env_int("OMNISTORE_APPOINTMENT_HORIZON_DAYS", 60)
OMNISTORE_APPOINTMENT_REMINDER_HOURS = env_int(
    "OMNISTORE_APPOINTMENT_REMINDER_HOURS", 24
)
