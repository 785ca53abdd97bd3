"""Gift cards in the admin: read-only with their ledger; void and adjust through the
services, with a reason; a shop's staff need a manager's approval for them
(``omnistore.approvals``); headquarters' own (at no one shop) is recorded as approved
by them, an approval of no shop. The ledger row records who did it, why and the
approval, and a void is kept in the card's history too. A card locked after wrong
PINs says so on its page, until when; HQ unlock it, saying why, once a page listing
the locked cards is confirmed (``orders.services.giftcard_unlock``), each unlock kept
in the card's history (a shop's manager unlocks a card at the counter, with its
holder's PIN: the admin's gift cards are HQ's)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.http import HttpResponseRedirect
from django.urls import path
from django.utils import timezone

from omnistore.accounts.scoping import (
    PartOfParentInline,
    ReadOnlyAdmin,
    in_scope_only,
    shop_ids,
)
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.admin_confirm import SHOWN, confirmation_page, confirmed
from omnistore.core.admin_history import EventHistory, actor_or_system
from omnistore.core.exceptions import ApplicationError
from orders.models import GiftCard, GiftCardStatus, GiftCardTransaction
from orders.selectors.giftcards import CARD_STATUS_LABELS, gift_card_status
from orders.services.giftcard_pins import pin_lock_ends, pin_locks
from orders.services.giftcard_unlock import unlock_gift_card
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


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


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


class VoidCardsForm(forms.Form):
    """The reason asked on the page confirming a void (the action bar's filled in)."""

    reason = forms.CharField(
        max_length=250,
        label="Reason",
        help_text="Kept in each card's ledger and history.",
        error_messages={"required": "Say why the cards are voided."},
    )


class UnlockCardsForm(forms.Form):
    """The reason asked on the page confirming an unlock (the action bar's filled
    in)."""

    reason = forms.CharField(
        max_length=250,
        label="Reason",
        help_text="Kept in each card's history, with who unlocked it and when.",
        error_messages={"required": "Say why the cards are unlocked."},
    )


# What the card's page shows, every field of the card read-only: its status as it is
# now (``status_now``) in place of the stored one, whether wrong PINs locked it, its
# PIN never.
CARD_FIELDS = tuple(
    "status_now" if field.name == "status" else field.name
    for field in GiftCard._meta.concrete_fields
    if field.name not in ("id", "pin_hash")
) + ("pin_lock",)


@admin.register(GiftCard)
class GiftCardAdmin(EventHistory, ReadOnlyAdmin):
    shop_paths = None  # a card is no one shop's: it pays wherever its currency does
    action_form = GiftCardActionForm
    actions = ["void_cards", "adjust_cards", "unlock_cards"]
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
    # What moves no money is kept in the card's log: voids, unlocks after wrong PINs
    # (at a counter too), each with who, when, where and why.
    log_heading = "Voids and unlocks"
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

    @admin.display(description="PIN lock")
    def pin_lock(self, card: GiftCard) -> str:
        """Locked after wrong PINs (until when), or not: kept in the cache only."""
        ends = pin_lock_ends(card.number)
        if ends is None:
            return "Not locked"
        return f"Locked after wrong PINs until {_when(ends)}"

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

    def _each(self, request, queryset, move, *, reason: str | None = None) -> None:
        """``move`` each card with the reason (the action bar's unless given)."""
        if reason is None:
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
    @in_scope_only
    def void_cards(self, request, queryset):
        """The cards not void yet through ``void_gift_card``, once a page listing
        them (with the balance each loses) is confirmed with a reason: a void card
        is never usable again."""
        cards = queryset.exclude(status=GiftCardStatus.VOID).order_by("id")
        if not cards.exists():
            self.message_user(
                request, "The selected gift cards are void already.", messages.INFO
            )
            return None
        form = VoidCardsForm(
            request.POST if confirmed(request) else None,
            initial={"reason": request.POST.get("reason", "")},
        )
        if not form.is_valid():
            return self._ask_void(request, queryset, cards, form)
        self._each(
            request,
            cards,
            lambda card, reason: void_gift_card(
                card=card,
                reason=reason,
                actor=request.user,
                location=getattr(request.user, "store", None),
            ),
            reason=form.cleaned_data["reason"],
        )
        return None

    def _ask_void(self, request, queryset, cards, form):
        count = cards.count()
        return confirmation_page(
            self,
            request,
            queryset,
            title=f"Void {count} gift card{'s' if count != 1 else ''}",
            says=(
                "Each card's balance goes to zero, booked in its ledger with the "
                "reason, and the card is never usable again, online or in the shops. "
                "A shop's staff need a manager's approval first."
            ),
            button="Void these cards",
            count=count,
            columns=["Card", "Kind", "Status", "Balance lost", "Expires"],
            rows=(
                (
                    card.masked_number,
                    card.get_kind_display(),
                    self.status_now(card),
                    f"{card.balance} {card.currency}",
                    timezone.localdate(card.expires_at) if card.expires_at else "—",
                )
                for card in cards[:SHOWN]
            ),
            form=form,
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

    @admin.action(
        description="Unlock the selected gift cards (locked after wrong PINs)",
        permissions=["change"],
    )
    @in_scope_only
    def unlock_cards(self, request, queryset):
        """The cards locked after wrong PINs through ``unlock_gift_card``, once a
        page listing them (until when each is locked) is confirmed with a reason:
        HQ's (the change right), at no one shop."""
        cards = queryset.order_by("id")
        locks = pin_locks(cards.values_list("number", flat=True))
        cards = cards.filter(number__in=list(locks))
        if not cards.exists():
            self.message_user(
                request, "None of the selected gift cards is locked.", messages.INFO
            )
            return None
        form = UnlockCardsForm(
            request.POST if confirmed(request) else None,
            initial={"reason": request.POST.get("reason", "")},
        )
        if not form.is_valid():
            return self._ask_unlock(request, queryset, cards, locks, form)
        self._each(
            request,
            cards,
            lambda card, reason: unlock_gift_card(
                card=card, reason=reason, actor=request.user
            ),
            reason=form.cleaned_data["reason"],
        )
        return None

    def _ask_unlock(self, request, queryset, cards, locks, form):
        count = cards.count()
        return confirmation_page(
            self,
            request,
            queryset,
            title=f"Unlock {count} gift card{'s' if count != 1 else ''}",
            says=(
                "Each card's wrong PINs are forgotten: its PIN may be tried again at "
                "once, online and in the shops. Unlock a card only when you know "
                "the one asking holds it (the buyer of an e-gift card on the phone, "
                "say); a card whose holder is at a shop is unlocked there, at the "
                "counter, with its PIN."
            ),
            button="Unlock these cards",
            count=count,
            columns=["Card", "Kind", "Currency", "Locked until"],
            rows=(
                (
                    card.masked_number,
                    card.get_kind_display(),
                    card.currency,
                    _when(locks[card.number]),
                )
                for card in cards[:SHOWN]
            ),
            form=form,
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
