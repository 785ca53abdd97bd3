"""What every storefront cart, checkout and order endpoint shares: the anonymous cart's
token, the signed-in customer, the documented errors."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from customers.api.common import request_channel
from customers.selectors.identities import customer_for_user
from customers.services.logins import refuse_staff_login
from omnistore.core.api import UNAVAILABLE
from omnistore.core.clientip import client_ip
from omnistore.core.exceptions import NotFound
from orders.services.carts import storefront_customer

CART_TOKEN = OpenApiParameter(
    "X-Cart-Token",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Token of an anonymous cart (also accepted as ?cart_token=).",
)


ERRORS = {
    400: OpenApiResponse(description="Field errors: {message, code, extra}"),
    404: OpenApiResponse(description="Unknown cart or order"),
    409: OpenApiResponse(
        description="Out of stock or an item no longer sold (`not_for_sale`), both "
        "listed in extra.lines, or a closed cart"
    ),
    503: UNAVAILABLE,
}


def cart_token(request) -> str:
    """The anonymous cart's token: the ``X-Cart-Token`` header or ``?cart_token=``."""
    return (
        request.headers.get("X-Cart-Token")
        or request.query_params.get("cart_token")
        or ""
    ).strip()[:64]


def caller_ident(request) -> str:
    """Who is calling, for counting wrong gift card PINs: the user, else the
    address ``client_ip`` vouches for."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip(request)}"


def request_customer(request):
    """The signed-in customer's profile (created on first use, on the client's
    channel), once per request; None when anonymous."""
    if not request.user.is_authenticated:
        return None
    if not hasattr(request, "_storefront_customer"):
        request._storefront_customer = storefront_customer(
            user=request.user, channel=request_channel(request)
        )
    return request._storefront_customer


def known_customer(request):
    """The signed-in customer's profile without creating it, for reads (they write
    nothing); None when anonymous or before the profile's first use. A staff login
    has none, as for writes (404 ``staff_login``)."""
    if not request.user.is_authenticated:
        return None
    if not hasattr(request, "_storefront_customer"):
        try:
            request._storefront_customer = customer_for_user(request.user)
        except NotFound:
            refuse_staff_login(request.user)
            return None
    return request._storefront_customer
