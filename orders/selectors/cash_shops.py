"""Which shops pay cash back in a currency. A shop's drawer holds its market's
currency (``till_currency``) and pays out no other, so cash paid in one currency
goes back only at the shops whose drawer holds it: the returns desk of any other
shop refuses it (``drawer_refusal``), and a customer whose return goes back to a
cash payment is sent to those shops, by the API's instructions and the return email
alike (``where_to_bring``).
"""

from __future__ import annotations

from inventory.markets import tax_table
from inventory.models import Location, LocationKind
from orders.models import Return
from orders.selectors.return_post import cash_back_in
from orders.selectors.till import till_currency

ANY_SHOP = "any of our shops"
# Shops named to a customer sent to a few of them; more, and the currency says it.
MAX_SHOPS_NAMED = 5


def drawer_refusal(cash: str, store: Location) -> str:
    """Why cash in ``cash`` cannot go out of the drawer of shop ``store`` (it holds
    another currency), or nothing when it can."""
    held = till_currency(store)
    if cash == held:
        return ""
    return f"It was paid in cash in {cash}, and this shop's drawer holds {held}."


def shops_paying_cash(currency: str) -> tuple[list[Location], bool]:
    """The active shops whose drawer holds ``currency``, by name, and whether they
    are every active shop. One query (the markets are kept by the process)."""
    table = tax_table()
    shops = list(
        Location.objects.filter(kind=LocationKind.SHOP, active=True).order_by(
            "name", "pk"
        )
    )
    paying = [shop for shop in shops if till_currency(shop, table) == currency]
    return paying, len(paying) == len(shops)


def where_to_bring(ret: Return) -> str:
    """Where the customer brings return ``ret`` to be refunded on the spot: any of
    our shops, unless its refund gives cash back (``cash_back_in``) in a currency
    some shops' drawers do not hold; then the shops that hold it, named when they
    are few: "one of our shops that take CHF (Basel or Zürich Bahnhofstrasse)"."""
    cash = cash_back_in(ret)
    if not cash:
        return ANY_SHOP
    paying, every = shops_paying_cash(cash)
    if every:
        return ANY_SHOP
    said = f"one of our shops that take {cash}"
    if paying and len(paying) <= MAX_SHOPS_NAMED:
        said += f" ({_one_of([shop.name for shop in paying])})"
    return said


def _one_of(names: list[str]) -> str:
    """ "A", "A or B", "A, B or C"."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} or {names[-1]}"
