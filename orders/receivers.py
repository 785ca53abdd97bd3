"""Reactions to customer events and to stock arriving for an order, and answers to
what inventory asks of a shop or of a transfer made for an order: the orders app
listens, the customers and inventory apps never import it."""

from django.dispatch import receiver
from django.utils import timezone

from customers.signals import customer_merged, customer_merging
from inventory.services.transfers import transfer_arriving, transfer_closed_short
from inventory.signals import location_in_use_as_shop, transfer_purpose

from .selectors.pickups import open_pickups_at
from .selectors.till import open_session_at
from .selectors.transfers import order_transfer_purpose
from .services.carts import fold_customer_carts
from .services.common import ORDER_REFERENCE
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
def hold_arrivals_for_the_order(sender, transfer, **kwargs):
    """What a transfer brings to a pickup shop for an order is held for that order as
    it is received, unless the order was cancelled on the way."""
    return order_awaits_transfer(transfer)


@receiver(transfer_purpose, dispatch_uid="orders.say_what_a_transfer_brings")
def say_what_a_transfer_brings(sender, transfer, **kwargs):
    """What the units of a transfer made for an order are for now, as the order
    answers: its page says it."""
    if transfer.reference_type != ORDER_REFERENCE:
        return None
    return order_transfer_purpose(transfer)


@receiver(transfer_closed_short, dispatch_uid="orders.ask_again_for_missing")
def missing_on_a_transfer(sender, transfer, missing, reason, actor, **kwargs):
    """A pickup's transfer closed short: the missing units are asked again."""
    ask_again_for_missing(
        transfer=transfer, missing=missing, reason=reason, actor=actor
    )


PICKUPS_NAMED = 5  # orders named in a shop's answer; the rest are counted


@receiver(location_in_use_as_shop, dispatch_uid="orders.shop_desks_in_use")
def shop_desks_in_use(sender, location, **kwargs) -> list[str]:
    """A till session open at the shop (its drawer is counted and closed at its
    till) and orders to be collected there, ready or still on their way (handed
    over at its desk, which answers only at a shop), keep it a shop, each said with
    what to do about it."""
    reasons = []
    session = open_session_at(location)
    if session is not None:
        opened = timezone.localtime(session.opened_at).strftime("%d %b %Y %H:%M")
        reasons.append(
            f"a till session is open on {session.register} since {opened}, opened "
            f"by {session.opened_by} (close it at the till)"
        )
    to_collect = open_pickups_at(location=location)
    numbers = list(to_collect.values_list("number", flat=True)[: PICKUPS_NAMED + 1])
    if numbers:
        count = to_collect.count() if len(numbers) > PICKUPS_NAMED else len(numbers)
        named = ", ".join(numbers[:PICKUPS_NAMED])
        more = f" and {count - PICKUPS_NAMED} more" if count > PICKUPS_NAMED else ""
        noun, them = ("order is", "it") if count == 1 else ("orders are", "them")
        reasons.append(
            f"{count} {noun} still to be collected there: {named}{more} (hand "
            f"{them} over once ready, or cancel {them})"
        )
    return reasons
