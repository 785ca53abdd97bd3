"""Reactions to customer events: the orders app listens, the customers app never imports it."""

from django.dispatch import receiver

from customers.signals import customer_merging

from .services.carts import fold_customer_carts


@receiver(customer_merging, dispatch_uid="orders.fold_carts_on_merge")
def fold_carts_on_merge(sender, survivor, other, summary, **kwargs):
    folded = fold_customer_carts(survivor=survivor, other=other)
    if folded:
        summary["carts_folded"] = folded
