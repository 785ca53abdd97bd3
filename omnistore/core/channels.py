"""The channels an order, a cart, a customer or a consent can come from.

One home for the rule "which channels are online": the website and the app. A phone
order is taken by staff and counts as an assisted (not an online) sale, like the shop.
"""

from django.db import models


class Channel(models.TextChoices):
    WEB = "web", "Website"
    APP = "app", "App"
    STORE = "store", "Store"
    PHONE = "phone", "Phone"


ONLINE_CHANNELS = frozenset({Channel.WEB, Channel.APP})


def is_online(channel: str) -> bool:
    """The customer served themselves: website or app."""
    return channel in ONLINE_CHANNELS
