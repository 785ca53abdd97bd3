"""What every orders admin page shares: read-only pages (rows change only through
``orders.services``) and an order search that reads phone numbers."""

from __future__ import annotations

from django.db.models import Q

from customers.normalize import normalize_phone
from orders.selectors.orders import ORDER_SHOP_PATHS


def through(prefix: str, paths=ORDER_SHOP_PATHS) -> tuple[str, ...]:
    """The shop paths of a related row: an order's, seen from a payment (``order``)."""
    return tuple(f"{prefix}__{path}" for path in paths)


class PhoneAwareSearch:
    """A phone typed in any format (333 123 4567, +39…, 0039…) finds the order."""

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if any(ch.isdigit() for ch in search_term):
            phone = normalize_phone(search_term)
            if phone:
                results |= queryset.filter(Q(phone=phone) | Q(customer__phone=phone))
        return results, duplicates


def with_currency(amount, currency: str) -> str:
    """An amount as the admin shows it: with its currency (euro and francs are never
    told apart by the number alone)."""
    return f"{amount} {currency}"
