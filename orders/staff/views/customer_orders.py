"""A customer's whole history on a staff page: every order from every channel, newest
first, a page at a time, and their returns likewise. The 360° page shows the latest
few of each and links here.

Any associate may open it, as they may the 360° page: an id that page does not know
is 404 here too, and a merged profile's address leads to the survivor's history. A
return is linked only where the viewer may open it from the shop they act for, as on
the order page (one received at another shop is not theirs to open).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from customers.selectors.identities import resolve_customer
from omnistore.core.exceptions import NotFound
from omnistore.staff.auth import current_store, staff_required
from orders.selectors.orders import customer_orders
from orders.selectors.returns import customer_returns
from orders.staff.views.returns import marked_openable

# Rows a page shows: a long-standing client has hundreds of orders.
HISTORY_PAGE_SIZE = 25


def _history(request, pk: int, *, show: str, rows_of, url_name: str):
    """One page (``?page=`` as typed: a bad or out-of-range number shows the first
    or last page, as every staff list does) of the customer's orders or returns:
    five queries, whatever the page (the customer, a count, the rows, their
    lines)."""
    try:
        customer = resolve_customer(pk)
    except NotFound:
        raise Http404("No such customer.") from None
    if customer.pk != pk:
        return redirect(url_name, pk=customer.pk)
    page = Paginator(rows_of(customer), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    if show == "returns":  # linked only where this desk may open it
        page.object_list = marked_openable(
            request.user, page.object_list, current_store(request)
        )
    return render(
        request,
        "orders/staff/customer_history.html",
        {"customer": customer, "show": show, "page": page, "url_name": url_name},
    )


@staff_required
def customer_order_history(request, pk: int):
    """Every order of the customer, newest first, a page at a time."""
    return _history(
        request,
        pk,
        show="orders",
        rows_of=customer_orders,
        url_name="staff:customer_order_history",
    )


@staff_required
def customer_return_history(request, pk: int):
    """Every return of the customer, newest first, a page at a time."""
    return _history(
        request,
        pk,
        show="returns",
        rows_of=customer_returns,
        url_name="staff:customer_return_history",
    )
