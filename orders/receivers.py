"""Reactions to customer events: the orders app listens, the customers app never imports it."""

from django.dispatch import receiver

from customers.signals import customer_merged, customer_merging

from .services.carts import fold_customer_carts
from .services.sizes import relearn_sizes_later


@receiver(customer_merging, dispatch_uid="orders.fold_carts_on_merge")
def fold_carts_on_merge(sender, survivor, other, summary, **kwargs):
    folded = fold_customer_carts(survivor=survivor, other=other)
    if folded:
        summary["carts_folded"] = folded


@receiver(customer_merged, dispatch_uid="orders.relearn_sizes_on_merge")
def relearn_sizes_on_merge(sender, survivor, other, merge, **kwargs):
    """The survivor's purchases now include the other's: learn its sizes again."""
    relearn_sizes_later(customer_id=survivor.pk, reference=f"merge:{merge.pk}")
