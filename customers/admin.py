"""Managers' admin for customer profiles.

Profiles are looked at and lightly corrected here; identities, consents, points,
merges and the timeline change only through ``customers.services`` (so each change is
normalised and recorded), which the actions below call.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from customers.normalize import (
    normalize_email,
    normalize_loyalty_number,
    normalize_phone,
)
from customers.selectors.profiles import name_condition
from customers.services.identities import lock_live_profile
from customers.services.merge import dismiss_duplicate
from customers.services.profiles import (
    check_birthday,
    clean_preferences,
    update_profile,
)
from omnistore.accounts.scoping import ReadOnlyAdmin, ReadOnlyInline, ShopScopedAdmin
from omnistore.core.admin_fields import CheckedJSONField
from omnistore.core.admin_filters import ChannelFilter, EventKindFilter
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, ValidationFailed
from omnistore.core.labels import label_of
from omnistore.core.vat import check_vat_number

from .admin_erasure import ErasureAction
from .admin_inlines import JoinedInline, NoteInline
from .admin_merge import CustomerMergeAction, PairMergeAction
from .models import (
    Address,
    ClientTask,
    ClientTaskChange,
    Consent,
    ConsentChange,
    ConsentChannel,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
    LoyaltyTransaction,
    Wishlist,
    WishlistItem,
)

# A customer belongs to the shops they bought at: the orders a shop took, shipped or
# handed over (the order's shop paths, named here by lookup: orders sit above this
# app), and the shop they prefer.
CUSTOMER_SHOP_PATHS = (
    "orders__placing_location",
    "orders__fulfilments__location",
    "orders__fulfilments__pickup_location",
    "preferred_store",
)


def through(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{path}" for path in CUSTOMER_SHOP_PATHS)


class IdentityInline(ReadOnlyInline):
    model = CustomerIdentity
    fields = ["kind", "value", "verified", "channel", "created_at"]


class ConsentInline(JoinedInline):
    model = Consent
    fields = ["channel", "granted", "source_channel", "location", "actor", "updated_at"]
    select_related = ("location", "actor")


def is_erased(customer) -> bool:
    """An erased profile is kept for the books only: its page is looked at, never
    edited (nothing may be written for it again)."""
    return customer is not None and customer.is_anonymised


class AddressInline(ReadOnlyInline):
    """Saved addresses, shown: each change goes through ``customers.services.
    addresses`` (cleaned, one default, on the timeline), which the customer's own
    pages and the API call; none is typed in here."""

    model = Address
    fields = ["label", "name", "line1", "line2", "postcode", "city", "country", "phone"]
    readonly_fields = fields
    verbose_name_plural = "addresses (the customer changes them in their account)"


class EmailConsentFilter(admin.SimpleListFilter):
    title = "email consent"
    parameter_name = "email_consent"

    def lookups(self, request, model_admin):
        return [
            ("granted", "Granted"),
            ("withdrawn", "Withdrawn"),
            ("never", "Never asked"),
        ]

    def queryset(self, request, queryset):
        channel = ConsentChannel.EMAIL
        if self.value() == "granted":
            return queryset.filter(consents__channel=channel, consents__granted=True)
        if self.value() == "withdrawn":
            return queryset.filter(consents__channel=channel, consents__granted=False)
        if self.value() == "never":
            return queryset.exclude(consents__channel=channel)
        return queryset


class MergedFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("merged", "Merged away"), ("erased", "Erased")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(merged_into__isnull=True, is_anonymised=False)
        if self.value() == "merged":
            return queryset.filter(merged_into__isnull=False)
        if self.value() == "erased":
            return queryset.filter(is_anonymised=True)
        return queryset


class CustomerForm(forms.ModelForm):
    """The VAT number is checked here too, so a wrong one is a form error next to
    the field rather than a failure on save."""

    class Meta:
        model = Customer
        fields = ["company_name", "vat_number"]  # the admin adds the rest
        help_texts = {
            "vat_number": "With its country prefix: IT00743110157, "
            "CHE-116.281.710 MWST. Checked before it is kept.",
        }

    preferences = CheckedJSONField(
        required=False,
        help_text='{"sizes": {"category-slug": "M"}, '
        '"favourite_categories": ["category-slug"]}',
    )

    def clean_vat_number(self):
        try:
            return check_vat_number(self.cleaned_data.get("vat_number", ""))
        except ValidationFailed as error:
            raise forms.ValidationError(error.message) from None

    def clean_birthday(self):
        birthday = self.cleaned_data.get("birthday")
        try:
            check_birthday(birthday)
        except ValidationFailed as error:
            raise forms.ValidationError(error.message) from None
        return birthday

    def clean_preferences(self):
        """Anything but an object (``[]``, ``null``, an empty box) is refused, never
        read as no preferences; ``{}`` clears them."""
        try:
            return clean_preferences(self.cleaned_data.get("preferences"))
        except ValidationFailed as error:
            raise forms.ValidationError(
                error.extra.get("preferences") or error.message
            ) from None


@admin.register(Customer)
class CustomerAdmin(
    CustomerMergeAction, ErasureAction, ShopScopedAdmin, admin.ModelAdmin
):
    form = CustomerForm
    shop_paths = CUSTOMER_SHOP_PATHS
    # What a manager looks a customer up by, narrow enough for a 1366 px screen
    # beside the filters: the channel and the merge are filters, the rest is on
    # the profile.
    list_display = [
        "name",
        "email",
        "phone",
        "loyalty",
        "preferred_store_name",
        "created",
    ]
    list_select_related = ["preferred_store"]
    list_filter = [
        "created_channel",
        "preferred_store",
        EmailConsentFilter,
        MergedFilter,
    ]
    # search_name: the name's words without case or accents ("lucia" finds Lucía)
    search_fields = [
        "search_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "loyalty_number",
    ]
    search_help_text = "Name, email, phone in any format or loyalty card."
    date_hierarchy = "created_at"
    inlines = [IdentityInline, ConsentInline, AddressInline, NoteInline]
    actions = ["merge_selected", "erase_selected", "export_selected"]
    fields = [
        "first_name",
        "last_name",
        "birthday",
        "preferred_store",
        "preferences",
        "company_name",
        "vat_number",
        "email",
        "phone",
        "loyalty_number",
        "points_balance",
        "points_owed",
        "store_credit_balance",
        "created_channel",
        "created_location",
        "created_at",
        "user",
        "merged_into",
        "is_anonymised",
        "erased_at",
    ]
    readonly_fields = [
        "email",
        "phone",
        "loyalty_number",
        "points_balance",
        "points_owed",
        "store_credit_balance",
        "created_channel",
        "created_location",
        "created_at",
        "user",
        "merged_into",
        "is_anonymised",
        "erased_at",
    ]

    @admin.display(description="name", ordering="last_name")
    def name(self, customer):
        return f"{customer} (merged)" if customer.merged_into_id else str(customer)

    @admin.display(description="loyalty card", ordering="loyalty_number")
    def loyalty(self, customer):
        owed = f", owes {customer.points_owed}" if customer.points_owed else ""
        return f"{customer.loyalty_number} · {customer.points_balance} pts{owed}"

    @admin.display(description="preferred store", ordering="preferred_store__name")
    def preferred_store_name(self, customer):
        store = customer.preferred_store
        return store.name if store else self.get_empty_value_display()

    @admin.display(description="created", ordering="created_at")
    def created(self, customer):
        return timezone.localtime(customer.created_at).strftime("%d %b %Y")

    def has_add_permission(self, request):
        # Profiles come from matching identities in a channel, never typed in blank.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        """An erased profile is kept as it was left; a merged one is only a pointer
        to the profile it became (edited there, in that profile's shops' scope):
        both open read-only."""
        if obj is not None and obj.merged_into_id:
            return False
        return not is_erased(obj) and super().has_change_permission(request, obj)

    def get_search_results(self, request, queryset, search_term):
        """Also find customers by any identity, the phone read in any format."""
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        term = search_term.strip()
        if not term:
            return results, may_have_duplicates
        values = {term, term.lower()}
        for value in (
            normalize_email(term),
            normalize_phone(term),
            normalize_loyalty_number(term),
        ):
            if value:
                values.add(value)
        owners = CustomerIdentity.objects.filter(value__in=values).values("customer_id")
        by_name = name_condition(term)  # every word, whatever its case and accents
        found = Q(pk__in=owners) | by_name if by_name else Q(pk__in=owners)
        return results | queryset.filter(found), may_have_duplicates

    def save_model(self, request, obj, form, change):
        """Corrections go through the profile service, so they are on the timeline.
        The profile is locked first and refused (403) when it was erased since the
        page was opened, so the profile is not written for it (addresses are
        read-only here)."""
        if not change:  # pragma: no cover - adding is disabled
            return super().save_model(request, obj, form, change)
        try:
            live = lock_live_profile(obj)
        except Conflict as error:
            raise PermissionDenied(error.message) from None
        if live.pk != obj.pk:  # merged since the page was opened
            raise PermissionDenied(
                f"This profile was merged into customer #{live.pk}: edit that one."
            )
        editable = [
            "first_name",
            "last_name",
            "birthday",
            "preferred_store",
            "company_name",
            "vat_number",
        ]
        changes = {f: form.cleaned_data[f] for f in editable if f in form.changed_data}
        if "preferences" in form.changed_data:
            changes["preferences"] = form.cleaned_data["preferences"]
        if changes:
            update_profile(customer=obj, actor=request.user, **changes)


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(PairMergeAction, ShopScopedAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "customer_a",
        "customer_b",
        "reason",
        "status",
        "channel_shown",
        "created_at",
        "resolved_by",
    ]
    list_select_related = ["customer_a", "customer_b", "resolved_by"]
    list_filter = ["status", ("channel", ChannelFilter)]
    search_fields = [
        "customer_a__first_name",
        "customer_a__last_name",
        "customer_b__first_name",
        "customer_b__last_name",
        "reason",
    ]
    actions = ["merge_pairs", "dismiss_pairs"]
    readonly_fields = [
        "customer_a",
        "customer_b",
        "reason",
        "status",
        "channel",
        "created_at",
        "resolved_by",
        "resolved_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="channel", ordering="channel")
    def channel_shown(self, candidate):
        return label_of(Channel, candidate.channel)

    @admin.action(description="Different people: dismiss", permissions=["change"])
    def dismiss_pairs(self, request, queryset):
        count = 0
        for candidate in queryset.filter(status=DuplicateStatus.PENDING):
            dismiss_duplicate(candidate=candidate, actor=request.user)
            count += 1
        self.message_user(request, f"{count} pair(s) dismissed.")


@admin.register(CustomerEvent)
class CustomerEventAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "customer",
        "kind_shown",
        "summary",
        "channel_shown",
        "location",
        "actor",
    ]
    list_select_related = ["customer", "location", "actor"]
    list_filter = [("kind", EventKindFilter), ("channel", ChannelFilter)]
    search_fields = ["summary", "customer__last_name", "reference_id"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["customer"]

    @admin.display(description="kind", ordering="kind")
    def kind_shown(self, event):
        return event.get_kind_display()

    @admin.display(description="channel", ordering="channel")
    def channel_shown(self, event):
        return event.get_channel_display()


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyAdmin):
    list_display = ["at", "survivor", "merged", "actor"]
    list_select_related = ["survivor", "merged", "actor"]
    raw_id_fields = ["survivor", "merged"]


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "customer",
        "channel",
        "granted",
        "source_channel",
        "location",
    ]
    list_select_related = ["customer", "location"]
    list_filter = ["channel", "granted", "source_channel"]
    raw_id_fields = ["customer"]


@admin.register(LoyaltyTransaction)
class LoyaltyTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "customer",
        "kind",
        "points",
        "owed",
        "reason",
        "reference_id",
    ]
    list_select_related = ["customer"]
    list_filter = ["kind"]
    search_fields = ["reference_id", "customer__loyalty_number"]
    raw_id_fields = ["customer"]


class WishlistItemInline(JoinedInline):
    model = WishlistItem
    fields = [
        "variant",
        "note",
        "added_via",
        "added_at_location",
        "added_at",
        "removed_at",
    ]
    readonly_fields = fields
    select_related = ("variant__product", "added_at_location")


@admin.register(Wishlist)
class WishlistAdmin(ReadOnlyAdmin):
    """Customers' lists, looked at; they change through ``customers.services``. The
    share token opens a list to anyone, so it is not shown."""

    shop_paths = through("customer")
    list_display = ["__str__", "customer", "created_at", "updated_at", "archived_at"]
    list_select_related = ["customer"]
    list_filter = [("archived_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "customer__last_name", "customer__email"]
    exclude = ["share_token"]
    raw_id_fields = ["customer"]
    inlines = [WishlistItemInline]


@admin.register(WishlistItem)
class WishlistItemAdmin(ReadOnlyAdmin):
    shop_paths = through("wishlist__customer")
    list_display = [
        "added_at",
        "wishlist",
        "variant",
        "added_via",
        "added_at_location",
        "price_at_add",
        "removed_at",
    ]
    list_select_related = [
        "wishlist__customer",
        "variant__product",
        "added_at_location",
    ]
    list_filter = [
        "added_via",
        "added_at_location",
        ("removed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["variant__sku", "wishlist__customer__email"]
    raw_id_fields = ["wishlist", "variant"]
    date_hierarchy = "added_at"


# --- Client book ------------------------------------------------------------------


class ClientTaskChangeInline(JoinedInline):
    model = ClientTaskChange
    select_related = ("actor", "assignee_before", "assignee_after")
    fields = [
        "at",
        "action",
        "actor",
        "assignee_before",
        "assignee_after",
        "snoozed_until",
    ]
    readonly_fields = fields


@admin.register(ClientTask)
class ClientTaskAdmin(ReadOnlyAdmin):
    """The client book's tasks, looked at by shop; they change in the staff UI."""

    shop_paths = ("shop",)
    list_display = ["due_on", "title", "kind", "status", "customer", "assignee", "shop"]
    list_select_related = ["customer", "assignee", "shop"]
    list_filter = ["status", "kind", "shop", "due_on"]
    search_fields = [
        "title",
        "customer__last_name",
        "customer__email",
        "assignee__username",
    ]
    raw_id_fields = ["customer", "assignee", "created_by", "done_by"]
    date_hierarchy = "due_on"
    inlines = [ClientTaskChangeInline]
