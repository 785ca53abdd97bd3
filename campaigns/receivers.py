"""Reactions to the lower apps' events: campaigns listens, they never import it."""

import logging

from django.dispatch import receiver

from campaigns.services.price_drops import record_price_changes
from campaigns.services.restocks import watch_stock_changes
from inventory.markets import list_prices_changed
from inventory.signals import stock_changed

logger = logging.getLogger(__name__)


@receiver(stock_changed, dispatch_uid="campaigns.watch_wished_stock")
def watch_wished_stock(sender, changes, **kwargs):
    """Heard after the stock change committed, in the request that made it: a failure
    here must not turn a sale that went through into an error page, so it is logged
    (at worst one back-in-stock message is not sent)."""
    try:
        watch_stock_changes(changes=changes)
    except Exception:
        logger.exception("campaigns: stock changes not watched: %s", changes[:20])


@receiver(list_prices_changed, dispatch_uid="campaigns.record_list_prices")
def record_list_prices(sender, changes, **kwargs):
    """Heard after the price change committed: a failure here must not turn a saved
    price into an error page, so it is logged (at worst one price drop in that list
    is measured from another price than its wishers saw)."""
    try:
        record_price_changes(changes=changes)
    except Exception:
        logger.exception("campaigns: price-list changes not kept: %s", changes[:20])
