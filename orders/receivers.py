"""Reactions to customer events and to stock arriving for an order: the orders app
listens, the customers and inventory apps never import it."""

from django.dispatch import receiver

from customers.signals import customer_merged, customer_merging
from inventory.services.transfers import transfer_arriving, transfer_closed_short

from .services.carts import fold_customer_carts
from .services.parts import ask_again_for_missing, order_awaits_transfer
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


@receiver(transfer_arriving, dispatch_uid="orders.hold_arrivals_for_the_order")
def hold_arrivals_for_the_order(sender, transfer, lock=True, **kwargs):
    """What a transfer brings to a pickup shop for an order is held for that order as
    it is received, unless the order was cancelled on the way; asked by a page
    (``lock`` False), the order is only read."""
    return order_awaits_transfer(transfer, lock=lock)


@receiver(transfer_closed_short, dispatch_uid="orders.ask_again_for_missing")
def missing_on_a_transfer(sender, transfer, missing, reason, actor, **kwargs):
    """A pickup's transfer closed short: the missing units are asked again."""
    ask_again_for_missing(
        transfer=transfer, missing=missing, reason=reason, actor=actor
    )
