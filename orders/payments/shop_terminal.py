"""A card or mobile wallet presented at a shop's counter and taken on the shop's own
payment terminal: no gateway takes it here, the terminal did.

A shop with a card reader paired with Omnistore takes the card through it
(``orders.services.terminals``), and the sale records the payment as the reader
collected it. Without one, the associate takes the payment on the shop's terminal
and the sale records it as taken, under every configuration, production included;
its refund is given back on that terminal and recorded here. Nothing online is
ever taken this way (``registry.provider_for``).
"""

from __future__ import annotations

from .cash import RecordedAtCounter


class ShopTerminalProvider(RecordedAtCounter):
    name = "shop_terminal"
    charged, refunded = "term", "termback"
