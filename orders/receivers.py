"""Reactions to customer events: the orders app listens, the customers app never imports it."""

from django.dispatch import receiver

from customers.signals import customer_erased, customer_merging

from .services.carts import fold_customer_carts, redact_customer_orders


@receiver(customer_merging, dispatch_uid="orders.fold_carts_on_merge")
def fold_carts_on_merge(sender, survivor, other, summary, **kwargs):
    folded = fold_customer_carts(survivor=survivor, other=other)
    if folded:
        summary["carts_folded"] = folded


@receiver(customer_erased, dispatch_uid="orders.redact_orders_on_erase")
def redact_orders_on_erase(sender, customer, **kwargs):
    redact_customer_orders(customer=customer)
