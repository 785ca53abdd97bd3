"""The sizes a customer takes, learned again after each sale and each return received
(``customers.services.sizes`` holds the rule). The learning runs from the outbox, after
the sale or the return committed, so the checkout and the counter wait for none of it;
it reads the whole history each time, so a retry or a duplicate changes nothing."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from customers.models import Customer
from customers.services.identities import lock_customers
from customers.services.sizes import learn_sizes
from omnistore.core import outbox
from orders.selectors.sizes import size_evidence

TOPIC = "orders.sizes"


def relearn_sizes_later(*, customer_id: int | None, reference: str) -> None:
    """After this transaction commits, learn the customer's sizes again (once per
    ``reference``: a return's code)."""
    if customer_id is not None:
        outbox.enqueue(
            TOPIC, {"customer_id": customer_id}, dedupe_key=f"{TOPIC}:{reference}"
        )


@transaction.atomic
def relearn_sizes(*, customer_ids: Iterable[int]) -> int:
    """Learn again the sizes of these customers (merged ones: their survivors), each
    profile locked while its orders are read; returns how many were learned."""
    asked = {int(pk) for pk in customer_ids if pk is not None}
    known = Customer.objects.filter(pk__in=asked).values_list("pk", flat=True)
    live = lock_customers(sorted(known)) if asked else {}
    profiles = {c.pk: c for c in live.values() if not c.is_anonymised}
    found = size_evidence(customer_ids=list(profiles))
    learn_sizes(evidence={c: found.get(pk, []) for pk, c in profiles.items()})
    return len(profiles)
