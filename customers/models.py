"""One customer profile across every channel.

A person is recognised by identities (email, phone, loyalty card) and by their login;
an identity belongs to at most one customer. Everything a person does in any channel
lands on one timeline (``CustomerEvent``).
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from omnistore.core.channels import Channel


class Customer(models.Model):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True, db_index=True)
    email = models.EmailField(
        blank=True,
        help_text="Contact address we write to; every known one is an identity.",
    )
    phone = models.CharField(
        max_length=20, blank=True, help_text="Contact number in E.164 (+393331234567)."
    )
    birthday = models.DateField(null=True, blank=True)
    company_name = models.CharField(max_length=200, blank=True)  # invoices go to
    vat_number = models.CharField(max_length=20, blank=True)  # omnistore.core.vat
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customer_profile",
        help_text="Storefront login of this customer.",
    )
    preferred_store = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="preferred_by",
    )
    preferences = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"sizes": {category_slug: size}, "favourite_categories": [slug]}',
    )
    loyalty_number = models.CharField(max_length=20, unique=True)
    points_balance = models.IntegerField(default=0)
    store_credit_balance = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    created_channel = models.CharField(max_length=10, choices=Channel.choices)
    created_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="absorbed",
        help_text="Survivor this profile was merged into; its id resolves there.",
    )
    is_anonymised = models.BooleanField(default=False)
    erased_at = models.DateTimeField(null=True, blank=True)
    assigned_associate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
        help_text="The associate whose client book holds this customer.",
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(
                name="customer_store_credit_gte_0",
                condition=Q(store_credit_balance__gte=0),
            ),
            models.CheckConstraint(
                name="customer_not_merged_into_self",
                condition=~Q(merged_into=models.F("id")),
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_name"),
            models.Index(
                fields=["created_channel"],
                name="customer_active_channel",
                condition=Q(merged_into__isnull=True),
            ),
        ]

    def __str__(self):
        return self.full_name or f"Customer {self.loyalty_number}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class IdentityKind(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    LOYALTY = "loyalty", "Loyalty card"


class CustomerIdentity(models.Model):
    """A normalised way to recognise a person; unique (kind, value) makes it theirs."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities"
    )
    kind = models.CharField(max_length=10, choices=IdentityKind.choices)
    value = models.CharField(max_length=254)
    verified = models.BooleanField(default=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name_plural = "customer identities"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"], name="customer_identity_unique"
            )
        ]

    def __str__(self):
        return f"{self.kind}: {self.value}"


class Address(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="addresses"
    )
    label = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=200, blank=True)
    line1 = models.CharField(max_length=250)
    line2 = models.CharField(max_length=250, blank=True)
    city = models.CharField(max_length=100)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="IT")
    phone = models.CharField(max_length=20, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_default", "id"]
        verbose_name_plural = "addresses"

    def __str__(self):
        return ", ".join(x for x in (self.line1, self.postcode, self.city) if x)


class ConsentChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"
    # Not a way to reach the customer: their yes to product views being kept and used
    # to personalise (recently viewed, messages about what they looked at).
    TRACKING = "tracking", "Personalisation (browsing)"


class ConsentDecision(models.Model):
    """What a consent decision says: channel, granted or not, where and by whom."""

    channel = models.CharField(max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField()
    source_channel = models.CharField(max_length=10, choices=Channel.choices)
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class Consent(ConsentDecision):
    """Current consent per (customer, channel): what campaigns read, one row each."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel"], name="consent_current_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["channel", "customer"],
                name="consent_granted",
                condition=Q(granted=True),
            )
        ]

    def __str__(self):
        return f"{self.channel}: {'granted' if self.granted else 'withdrawn'}"


class ConsentChange(ConsentDecision):
    """Append-only history of every consent decision: what, when, where, by whom."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consent_changes"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.channel}: {'granted' if self.granted else 'withdrawn'} {self.at}"


class StaffNote(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="notes"
    )
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.text[:60]


class CustomerEvent(models.Model):
    """One timeline across channels; every app writes here through ``record_event``.

    ``kind`` is a free string owned by the writing app ("order_placed",
    "return_received", "wishlist_item_added", "message_sent", ...).
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(max_length=10, blank=True)
    data = models.JSONField(default=dict, blank=True)
    reference_type = models.CharField(max_length=30, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "-occurred_at", "-id"],
                name="customer_event_timeline",
            ),
            models.Index(fields=["kind", "occurred_at"], name="customer_event_kind"),
            models.Index(
                fields=["reference_type", "reference_id"], name="customer_event_ref"
            ),
        ]

    def __str__(self):
        return f"{self.kind}: {self.summary}"


class DuplicateStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Dismissed"


class DuplicateCandidate(models.Model):
    """Two profiles that seem to be one person; staff decide, nothing merges alone."""

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=250)
    status = models.CharField(
        max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.PENDING
    )
    channel = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_a", "customer_b"],
                name="duplicate_candidate_pair_unique",
            ),
            models.CheckConstraint(
                name="duplicate_candidate_ordered_pair",
                condition=Q(customer_a__lt=models.F("customer_b")),
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer_a"],
                name="duplicate_pending_a",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["customer_b"],
                name="duplicate_pending_b",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.customer_a_id} ~ {self.customer_b_id} ({self.status})"


class CustomerMerge(models.Model):
    """Record of a merge: who, when, what moved (``summary``: counts per relation)."""

    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.merged_id} → {self.survivor_id}"


class LoyaltyKind(models.TextChoices):
    EARN = "earn", "Earned"
    REVERSE = "reverse", "Reversed"
    REDEEM = "redeem", "Spent on an order"
    RESTORE = "restore", "Given back from an order"


class LoyaltyTransaction(models.Model):
    """Points ledger: the sum per customer equals ``Customer.points_balance``.

    One row per (kind, reference): earning or reversing for the same order or return
    twice changes nothing, so retried tasks are safe.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="loyalty_transactions"
    )
    kind = models.CharField(max_length=10, choices=LoyaltyKind.choices)
    points = models.IntegerField(
        help_text="Signed: positive when earned, negative reversed."
    )
    reason = models.CharField(max_length=250)
    reference_type = models.CharField(max_length=30, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "reference_type", "reference_id"],
                name="loyalty_reference_once",
                condition=~Q(reference_id=""),
            ),
            models.CheckConstraint(
                name="loyalty_points_not_zero", condition=~Q(points=0)
            ),
        ]

    def __str__(self):
        return f"{self.points:+} {self.reason}"


# --- Wishlists ----------------------------------------------------------------------

WISHLIST_DEFAULT_NAME = "My wishlist"


class WishlistChannel(models.TextChoices):
    WEB = Channel.WEB.value, Channel.WEB.label
    APP = Channel.APP.value, Channel.APP.label
    STORE = Channel.STORE.value, Channel.STORE.label


def new_share_token() -> str:
    return secrets.token_urlsafe(18)


class Wishlist(models.Model):
    """A customer's list of wanted variants; readable by anyone holding its token.

    Archiving hides a list and cuts its link; its items stay for the record.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="wishlists"
    )
    name = models.CharField(max_length=100, default=WISHLIST_DEFAULT_NAME)
    share_token = models.CharField(max_length=40, unique=True, default=new_share_token)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["customer", "created_at"],
                name="wishlist_active_by_customer",
                condition=Q(archived_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.name} (#{self.pk})"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class WishlistItem(models.Model):
    """One wanted variant; removal stamps ``removed_at`` so the history stays.

    At most one active row per (list, variant): adding it again updates that row.
    ``price_at_add`` is the price the customer saw, the base of price-drop messages.
    """

    wishlist = models.ForeignKey(
        Wishlist, on_delete=models.CASCADE, related_name="items"
    )
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="wishlist_items"
    )
    note = models.CharField(max_length=250, blank=True)
    added_by_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The associate who added it on the customer's behalf.",
    )
    added_at_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_via = models.CharField(max_length=10, choices=WishlistChannel.choices)
    added_at = models.DateTimeField(default=timezone.now)
    price_at_add = models.DecimalField(max_digits=10, decimal_places=2)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wishlist", "variant"],
                name="wishlist_item_active_unique",
                condition=Q(removed_at__isnull=True),
            ),
            models.CheckConstraint(
                name="wishlist_item_price_gte_0", condition=Q(price_at_add__gte=0)
            ),
        ]

    def __str__(self):
        return f"{self.variant_id} on {self.wishlist_id}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class VerificationKind(models.TextChoices):
    EMAIL = "email", "Email code"
    PHONE = "phone", "SMS code"
    RECEIPT = "receipt", "Receipt claim"


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    BURNED = "burned", "Too many wrong tries"
    SUPERSEDED = "superseded", "Replaced by a newer code"
    REFUSED = "refused", "Refused"


class VerificationCode(models.Model):
    """A login proving it owns an email, a phone or a receipt: a row per code and per
    claim, so limits are counts; a code only as a keyed hash (services.verification)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=VerificationKind.choices)
    target = models.CharField(max_length=254)  # email, phone or order number
    status = models.CharField(
        max_length=12, choices=VerificationStatus, default=VerificationStatus.PENDING
    )
    code_hash = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="verification_by_user"),
            models.Index(
                fields=["kind", "target", "created_at"], name="verification_by_target"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.target} ({self.status})"


# Appointments, product views, learned sizes, messages with associates and the client
# book's tasks live in modules of their own; imported here so Django finds them with
# the rest of the app's models.
from customers.appointments_models import (  # noqa: E402,F401
    Appointment,
    AppointmentBlock,
    AppointmentChannel,
    AppointmentHours,
    AppointmentKind,
    AppointmentStaff,
    AppointmentStatus,
    Weekday,
)
from customers.browsing import BrowseEvent, BrowseKind  # noqa: E402, F401
from customers.clienteling import ClientTask, ClientTaskChange  # noqa: E402, F401
from customers.learned_sizes import LearnedSize  # noqa: E402, F401
from customers.models_messages import (  # noqa: E402, F401
    Conversation,
    Message,
    MessageChannel,
    MessageDirection,
)
