"""What a customer's orders and returns say about the sizes they take: the units of
each sized line kept (bought, less what came back), and the returns for fit, in three
queries for any number of customers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Sum

from customers.selectors.sizes import FIT_STEPS, SizeEvidence
from inventory.models import Variant
from orders.models import OrderLine, OrderStatus, ReturnLine, ReturnStatus

# A return counts once the goods are back: what is merely requested is still kept.
RETURNED = [ReturnStatus.RECEIVED, ReturnStatus.REFUNDED, ReturnStatus.CLOSED]


def size_evidence(*, customer_ids: Sequence[int]) -> dict[int, list[SizeEvidence]]:
    """Per customer: one item per sized order line (its units kept) and one per line
    returned as too small or too big, with the sizes its product comes in."""
    lines = list(
        OrderLine.objects.filter(order__customer_id__in=customer_ids)
        .exclude(order__status=OrderStatus.CANCELLED)
        .exclude(variant__size="")
        .values(
            "pk",
            "quantity",
            "order__customer_id",
            "order__created_at",
            "variant__size",
            "variant__product_id",
            "variant__product__category_id",
        )
    )
    back = (
        ReturnLine.objects.filter(
            order_line_id__in=[line["pk"] for line in lines],
            return_request__status__in=RETURNED,
        )
        .values("order_line_id", "reason", "return_request__received_at")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    returned: dict[int, int] = defaultdict(int)
    fits: dict[int, list[tuple[str, object]]] = defaultdict(list)
    for row in back:
        returned[row["order_line_id"]] += row["units"]
        if row["reason"] in FIT_STEPS and row["return_request__received_at"]:
            fits[row["order_line_id"]].append(
                (row["reason"], row["return_request__received_at"])
            )
    offered = _sizes_offered(
        {line["variant__product_id"] for line in lines if line["pk"] in fits}
    )
    evidence: dict[int, list[SizeEvidence]] = defaultdict(list)
    for line in lines:
        common = {
            "category_id": line["variant__product__category_id"],
            "size": line["variant__size"],
        }
        items = evidence[line["order__customer_id"]]
        kept = line["quantity"] - returned[line["pk"]]
        items.append(SizeEvidence(**common, at=line["order__created_at"], kept=kept))
        for reason, at in fits[line["pk"]]:
            sizes = offered.get(line["variant__product_id"], ())
            items.append(SizeEvidence(**common, at=at, fit=reason, offered=sizes))
    return evidence


def _sizes_offered(product_ids: set[int]) -> dict[int, tuple[str, ...]]:
    if not product_ids:
        return {}
    sizes: dict[int, set[str]] = defaultdict(set)
    rows = Variant.objects.filter(product_id__in=product_ids).exclude(size="")
    for product_id, size in rows.values_list("product_id", "size"):
        sizes[product_id].add(size)
    return {pk: tuple(found) for pk, found in sizes.items()}
