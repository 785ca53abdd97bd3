"""Reactions to the lower apps' events: campaigns listens, they never import it."""

import logging

from django.dispatch import receiver

from campaigns.services.restocks import watch_stock_changes
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
