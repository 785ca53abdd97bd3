"""The channels an order, a cart, a customer or a consent can come from.

One home for the rules "which channels are online" (the website and the app) and
"which channels staff sell through" (the shop and the phone). A phone order is taken by
a shop's staff and counts as an assisted (not an online) sale, like the shop.
"""

from django.db import models


class Channel(models.TextChoices):
    WEB = "web", "Website"
    APP = "app", "App"
    STORE = "store", "Store"
    PHONE = "phone", "Phone"


ONLINE_CHANNELS = frozenset({Channel.WEB, Channel.APP})
ASSISTED_CHANNELS = frozenset({Channel.STORE, Channel.PHONE})


def is_online(channel: str) -> bool:
    """The customer served themselves: website or app."""
    return channel in ONLINE_CHANNELS
