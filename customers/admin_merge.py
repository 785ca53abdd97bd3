"""The admin's merges of two customer profiles into one: a chosen pair (the
customers' list, HQ's) or each flagged pair (the duplicates queue). The older profile
is kept. A page first shows both profiles side by side (name, contacts, orders,
points, login) and which is merged into which; only its confirming post merges,
through ``merge_customers``, recorded as a ``CustomerMerge`` (who, when) and on the
kept profile's timeline. A merge is never undone."""

from __future__ import annotations

from django.contrib import admin, messages

from customers.models import Customer, DuplicateStatus
from customers.selectors.merge import kept_and_merged, pairs_side_by_side
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


def _ask(modeladmin, request, queryset, pairs: list, *, title: str, skipped=()):
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
        skipped=skipped,
    )


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
        if not confirmed(request):
            pair = [(kept, merged)]
            return _ask(self, request, queryset, pair, title="Merge two customers")
        _merge_pair(self, request, kept, merged)
        return None


class PairMergeAction:
    """Mixed into the duplicates queue's admin: ``merge_pairs``."""

    def _pairs(self, queryset) -> tuple[list, list[int]]:
        """The pending pairs whose profiles are both still live, each (kept,
        merged); and the ids of those of which one was merged already."""
        pairs, skipped = [], []
        pending = queryset.filter(status=DuplicateStatus.PENDING).select_related(
            "customer_a", "customer_b"
        )
        for candidate in pending.order_by("pk"):
            a, b = candidate.customer_a, candidate.customer_b
            if a.merged_into_id or b.merged_into_id:
                skipped.append(candidate.pk)
            else:
                pairs.append(kept_and_merged(a, b))
        return pairs, skipped

    @admin.action(
        description="Merge each pair (the older profile survives)",
        permissions=["change"],
    )
    @in_scope_only
    def merge_pairs(self, request, queryset):
        if not confirmed(request):
            pairs, skipped = self._pairs(queryset)
            if pairs:
                count = len(pairs)
                title = f"Merge {count} flagged pair{'s' if count != 1 else ''}"
                return _ask(
                    self, request, queryset, pairs, title=title, skipped=skipped
                )
            self.message_user(
                request,
                "None of the selected pairs is still to merge: each was decided, "
                "or one of its profiles was merged already.",
                level=messages.WARNING,
            )
            return None
        for candidate in queryset.filter(status=DuplicateStatus.PENDING).order_by("pk"):
            # Read again one by one: a merge above may have merged this pair's.
            a = Customer.objects.get(pk=candidate.customer_a_id)
            b = Customer.objects.get(pk=candidate.customer_b_id)
            if a.merged_into_id or b.merged_into_id:
                self.message_user(
                    request,
                    f"Pair {candidate.pk}: one profile was already merged.",
                    level=messages.WARNING,
                )
                continue
            _merge_pair(self, request, *kept_and_merged(a, b))
        return None
