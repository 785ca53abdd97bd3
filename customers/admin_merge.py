"""The admin's merges of two customer profiles into one: a chosen pair (the
customers' list, HQ's) or each flagged pair (the duplicates queue). The older profile
is kept. A page first shows both profiles side by side (name, contacts, orders,
points, login) and which is merged into which; only its confirming post merges,
through ``merge_customers``, recorded as a ``CustomerMerge`` (who, when) and on the
kept profile's timeline. A merge is never undone. A pair the merge would refuse
(``merge_refusal``: a profile merged already or erased, a login on each) is never
offered: listed as left with why, and with none left to merge no page asks."""

from __future__ import annotations

from django.contrib import admin, messages

from customers.models import Customer, DuplicateStatus
from customers.selectors.merge import (
    kept_and_merged,
    merge_refusal,
    pairs_side_by_side,
)
from customers.services.merge import merge_customers
from omnistore.accounts.scoping import in_scope_only
from omnistore.core.admin_confirm import SHOWN, confirmation_page, confirmed
from omnistore.core.exceptions import ApplicationError

TEMPLATE = "admin/customers/customer/merge_confirmation.html"
SAYS = (
    "Everything of the profile merged away (contacts, orders, returns, wishlists, "
    "timeline, consents, points) moves to the profile kept, the older one; the "
    "profile merged away only points to it from then on."
)


def _ask(modeladmin, request, queryset, pairs: list, *, title: str, left=()):
    return confirmation_page(
        modeladmin,
        request,
        queryset,
        title=title,
        says=SAYS,
        button="Merge these profiles",
        count=len(pairs),
        rows=pairs_side_by_side(pairs[:SHOWN]),
        template=TEMPLATE,
        left=left[:SHOWN],
        left_count=len(left),
    )


def _left(candidate, kept: Customer, merged: Customer) -> tuple[str, str] | None:
    """The flagged pair as the page and the messages name it, with why the merge
    would refuse it; None when it would not."""
    refusal = merge_refusal(kept, merged)
    if refusal is None:
        return None
    named = f"Pair {candidate.pk}: {kept} (#{kept.pk}) and {merged} (#{merged.pk})"
    return named, refusal.message.rstrip(".")


def _listed(left: list) -> str:
    return "; ".join(f"{pair} — {why}" for pair, why in left[:SHOWN])


def _merge_pair(modeladmin, request, kept: Customer, merged: Customer) -> None:
    try:
        merge = merge_customers(survivor=kept, other=merged, actor=request.user)
    except ApplicationError as error:
        modeladmin.message_user(request, error.message, level=messages.ERROR)
        return
    moved = sum(merge.summary.get("moved", {}).values())
    modeladmin.message_user(
        request,
        f"{merged} (#{merged.pk}) merged into {kept} (#{kept.pk}), the older "
        f"profile; {moved} records moved.",
        level=messages.SUCCESS,
    )


class CustomerMergeAction:
    """Mixed into the customers' admin: ``merge_selected``."""

    def has_merge_permission(self, request) -> bool:
        """Deciding that two profiles are one person is HQ's (the duplicates queue)."""
        return request.user.has_perm("customers.change_duplicatecandidate")

    @admin.action(
        description="Merge selected customers (the oldest profile survives)",
        permissions=["merge"],
    )
    @in_scope_only
    def merge_selected(self, request, queryset):
        customers = list(queryset[:3])
        if len(customers) != 2:
            self.message_user(
                request, "Select exactly two customers to merge.", level=messages.ERROR
            )
            return None
        kept, merged = kept_and_merged(*customers)
        refusal = merge_refusal(kept, merged)
        if refusal is not None:
            self.message_user(
                request,
                f"{merged} (#{merged.pk}) and {kept} (#{kept.pk}) are not merged: "
                f"{refusal.message}",
                level=messages.WARNING,
            )
            return None
        if not confirmed(request):
            pair = [(kept, merged)]
            return _ask(self, request, queryset, pair, title="Merge two customers")
        _merge_pair(self, request, kept, merged)
        return None


class PairMergeAction:
    """Mixed into the duplicates queue's admin: ``merge_pairs``."""

    def _pairs(self, queryset) -> tuple[list, list]:
        """The pending pairs to merge, each (kept, merged); and those left as they
        are, each named with why (``_left``)."""
        pairs, left = [], []
        pending = queryset.filter(status=DuplicateStatus.PENDING).select_related(
            "customer_a", "customer_b"
        )
        for candidate in pending.order_by("pk"):
            kept, merged = kept_and_merged(candidate.customer_a, candidate.customer_b)
            refused = _left(candidate, kept, merged)
            if refused is None:
                pairs.append((kept, merged))
            else:
                left.append(refused)
        return pairs, left

    @admin.action(
        description="Merge each pair (the older profile survives)",
        permissions=["change"],
    )
    @in_scope_only
    def merge_pairs(self, request, queryset):
        if not confirmed(request):
            pairs, left = self._pairs(queryset)
            if pairs:
                count = len(pairs)
                title = f"Merge {count} flagged pair{'s' if count != 1 else ''}"
                return _ask(self, request, queryset, pairs, title=title, left=left)
            said = "None of the selected pairs is still to merge: each was decided"
            if left:
                said += f", or is left as it is ({_listed(left)})"
            self.message_user(request, f"{said}.", level=messages.WARNING)
            return None
        left = []
        for candidate in queryset.filter(status=DuplicateStatus.PENDING).order_by("pk"):
            # Read again one by one: a merge above may have merged this pair's.
            a = Customer.objects.get(pk=candidate.customer_a_id)
            b = Customer.objects.get(pk=candidate.customer_b_id)
            kept, merged = kept_and_merged(a, b)
            refused = _left(candidate, kept, merged)
            if refused is None:
                _merge_pair(self, request, kept, merged)
            else:
                left.append(refused)
        if left:
            self.message_user(
                request,
                f"Left as they are ({len(left)}): {_listed(left)}.",
                level=messages.INFO,
            )
        return None
