"""One customer profile across every channel.

A person is recognised by identities (email, phone, loyalty card) and by their login;
an identity belongs to at most one customer. Everything a person does in any channel
lands on one timeline (``CustomerEvent``).
"""

import unicodedata
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from omnistore.core.channels import ONLINE_CHANNELS, Channel, is_online
from omnistore.core.text import one_line

# Letters NFKD does not take apart, written as a keyboard without them would.
_PLAIN_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
    }
)


def name_search_words(text: str) -> list[str]:
    """The words of a name as typed on any keyboard: without case (in any script),
    accents or punctuation ("Lucía D'Amico-Fernández" reads as lucia d amico
    fernandez). Stored names and searched words both go through here."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.translate(_PLAIN_LETTERS)
    return "".join(ch if ch.isalnum() else " " for ch in plain).split()


class NameSearchField(models.CharField):
    """``search_name``: the first and last name's words (``name_search_words``), each
    after a space, so a word of the name starts wherever " <word>" is found. Set as
    the row is written, by ``save``, ``create`` and ``bulk_create`` alike."""

    def pre_save(self, model_instance, add):
        words = name_search_words(
            f"{model_instance.first_name} {model_instance.last_name}"
        )
        value = "".join(f" {word}" for word in words)[: self.max_length]
        setattr(model_instance, self.attname, value)
        return value


class Customer(models.Model):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True, db_index=True)
    search_name = NameSearchField(
        max_length=255,
        blank=True,
        editable=False,
        help_text="The name's words without case or accents, for the search.",
    )
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
    points_owed = models.IntegerField(
        default=0,
        help_text="Points taken back after they were spent: paid first from the "
        "points that come back or are earned next (only while the balance is 0).",
    )
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
    created_by_order = models.CharField(
        max_length=20,
        blank=True,
        help_text="Number of the order whose purchase made this profile: the one "
        "receipt whose claim code proves it.",
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
                name="customer_points_balance_gte_0",
                condition=Q(points_balance__gte=0),
            ),
            models.CheckConstraint(
                name="customer_points_owed_gte_0",
                condition=Q(points_owed__gte=0),
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
            # The staff search and the counter find a sign-up by what it was given.
            models.Index(
                fields=["email"],
                name="customer_live_email",
                condition=Q(merged_into__isnull=True) & ~Q(email=""),
            ),
            models.Index(
                fields=["phone"],
                name="customer_live_phone",
                condition=Q(merged_into__isnull=True) & ~Q(phone=""),
            ),
        ]

    def __str__(self):
        # A guest profile has no name: its email or phone says who it is.
        return (
            self.full_name
            or self.email
            or self.phone
            or f"Customer {self.loyalty_number}"
        )

    def save(self, *args, **kwargs):
        """A save of the name saves its search words too. Whatever door a name came
        in by, it is kept on one line (``one_line``): one of only invisible
        characters is no name."""
        self.first_name = one_line(self.first_name)
        self.last_name = one_line(self.last_name)
        fields = kwargs.get("update_fields")
        if fields is not None and {"first_name", "last_name"} & set(fields):
            kwargs["update_fields"] = {*fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return one_line(f"{self.first_name} {self.last_name}")

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
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def proven(self) -> bool:
        """Its owner proved it (a code sent there) or staff took it in person (at a
        shop, on the phone); one typed online and never proven may be anyone's."""
        return self.verified or not is_online(self.channel)

    @staticmethod
    def proven_q() -> Q:
        """``proven`` as a filter of identities."""
        return Q(verified=True) | ~Q(channel__in=ONLINE_CHANNELS)


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
