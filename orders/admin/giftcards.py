"""Gift cards in the admin: read-only with their ledger; void and adjust through the
services, with a reason; a shop's staff need a manager's approval for them
(``omnistore.approvals``); headquarters' own (at no one shop) is recorded as approved
by them, an approval of no shop. The ledger row records who did it, why and the
approval, and a void is kept in the card's history too."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.http import HttpResponseRedirect
from django.urls import path

from omnistore.accounts.scoping import PartOfParentInline, ReadOnlyAdmin, shop_ids
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.admin_history import EventHistory, actor_or_system
from omnistore.core.exceptions import ApplicationError
from orders.models import GiftCard, GiftCardTransaction
from orders.selectors.giftcards import CARD_STATUS_LABELS, gift_card_status
from orders.services.giftcards import adjust_gift_card, void_gift_card

from .reports import liability_page


class GiftCardTransactionInline(PartOfParentInline):
    model = GiftCardTransaction
    fields = (
        "created_at",
        "kind",
        "amount",
        "balance_after",
        "reason",
        "order",
        "location",
        "actor",
        "approval",
    )
    readonly_fields = fields
    ordering = ("created_at", "id")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("order", "location", "actor", "approval")
        )


class GiftCardActionForm(ActionForm):
    reason = forms.CharField(required=False, max_length=250, label="Reason")
    amount = forms.DecimalField(
        required=False,
        max_digits=10,
        decimal_places=2,
        label="Adjust by (signed)",
        error_messages={
            "invalid": "Enter an amount such as 10 or -12.50.",
            "max_decimal_places": "Whole cents only: at most 2 decimals.",
            "max_digits": "Far more than a gift card holds.",
            "max_whole_digits": "Far more than a gift card holds.",
        },
    )


# What the card's page shows, every field of the card read-only: its status as it is
# now (``status_now``) in place of the stored one, its PIN never.
CARD_FIELDS = tuple(
    "status_now" if field.name == "status" else field.name
    for field in GiftCard._meta.concrete_fields
    if field.name not in ("id", "pin_hash")
)


@admin.register(GiftCard)
class GiftCardAdmin(EventHistory, ReadOnlyAdmin):
    shop_paths = None  # a card is no one shop's: it pays wherever its currency does
    action_form = GiftCardActionForm
    actions = ["void_cards", "adjust_cards"]
    list_display = (
        "masked_number",
        "kind",
        "status_now",
        "balance",
        "currency",
        "initial_amount",
        "issued_at",
        "expires_at",
    )
    list_filter = ("status", "kind", "currency")
    search_fields = ("number",)
    exclude = ("pin_hash",)
    fields = CARD_FIELDS
    history_heading = "The card's ledger"
    history_columns = (
        ("When", "created_at"),
        ("What", "get_kind_display"),
        ("Amount", "amount"),
        ("Balance after", "balance_after"),
        ("Who", actor_or_system),
        ("Where", "location"),
        ("Order", "order"),
        ("Approval", "approval"),
        ("Why", "reason"),
    )

    def get_readonly_fields(self, request, obj=None):
        """Every field of the card: it changes only through the actions (the
        services), each change a ledger row with who, why and the approval."""
        return CARD_FIELDS

    @admin.display(description="Status")
    def status_now(self, card: GiftCard) -> str:
        """What the card is now: past its date it is expired, even before the hourly
        expiry booked what was left (the stored status still says active)."""
        return CARD_STATUS_LABELS[gift_card_status(card)]

    inlines = [GiftCardTransactionInline]

    def get_urls(self):
        liability = self.admin_site.admin_view(self.liability_view)
        return [
            path("liability/", liability, name="orders_giftcard_liability"),
            *super().get_urls(),
        ]

    def liability_view(self, request):
        return liability_page(self, request)

    def changelist_view(self, request, extra_context=None):
        # The liability report is company-wide: offered to those who see every shop.
        context = {"shows_liability": shop_ids(request.user) is None}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def has_change_permission(self, request, obj=None):
        """The actions on the list need the change right; a card's own page is
        read, never saved (a POST to it is refused, whoever sends it)."""
        return obj is None and request.user.has_perm("orders.change_giftcard")

    def history_events(self, card):
        return card.transactions.select_related(
            "order", "location", "actor", "approval"
        )

    def response_action(self, request, queryset):
        """A reason or an amount the action form refuses is said as such, and
        nothing changes (Django would only say "No action selected.")."""
        form = self.action_form(request.POST, auto_id=None)
        form.fields["action"].choices = self.get_action_choices(request)
        if form.is_valid() or "action" in form.errors:
            return super().response_action(request, queryset)
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else name
            self.message_user(
                request, f"{label}: {' '.join(errors)} Nothing changed.", messages.ERROR
            )
        return HttpResponseRedirect(request.get_full_path())

    def _each(self, request, queryset, move) -> None:
        reason = request.POST.get("reason", "")
        done = 0
        for card in queryset:
            try:
                move(card, reason)
            except ApprovalRequired as error:
                self.message_user(
                    request,
                    f"{card}: {error.message} Ask a manager from the staff screens.",
                    messages.WARNING,
                )
            except ApplicationError as error:
                self.message_user(request, f"{card}: {error.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} gift card(s) changed.")

    @admin.action(
        description="Void the selected gift cards (reason required)",
        permissions=["change"],
    )
    def void_cards(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda card, reason: void_gift_card(
                card=card,
                reason=reason,
                actor=request.user,
                location=getattr(request.user, "store", None),
            ),
        )

    @admin.action(
        description="Adjust the balance of the selected gift cards",
        permissions=["change"],
    )
    def adjust_cards(self, request, queryset):
        amount = request.POST.get("amount") or "0"
        self._each(
            request,
            queryset,
            lambda card, reason: adjust_gift_card(
                card=card,
                amount=amount,
                reason=reason,
                actor=request.user,
                location=getattr(request.user, "store", None),
            ),
        )


class GiftCardSoldInline(PartOfParentInline):
    """The gift cards an order sold, on the order's page beside its lines (a card is
    no order line): the last four digits of each number, never the number or the
    PIN."""

    model = GiftCard
    fk_name = "order"
    verbose_name = "gift card sold"
    verbose_name_plural = "gift cards sold"
    fields = (
        "card",
        "kind",
        "initial_amount",
        "currency",
        "recipient_name",
        "send_on",
        "status_now",
    )
    readonly_fields = fields
    ordering = ("id",)

    @admin.display(description="Card")
    def card(self, card: GiftCard) -> str:
        return card.masked_number

    status_now = GiftCardAdmin.status_now
