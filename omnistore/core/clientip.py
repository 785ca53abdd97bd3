"""The address a request came from, as far as the deployment can vouch for it.

``X-Forwarded-For`` is a list every proxy appends to: the client may send it with any
value, and each proxy adds the address it took the connection from. Behind
``OMNISTORE_TRUSTED_PROXIES`` proxies of our own, only the last that many entries were
written by them, and the one that many places from the right is the address our
outermost proxy saw: the client. Everything to its left is what the client claimed.
With no trusted proxy the header is ignored and the socket's address is the client.
Rate limits and sign-in lockouts are keyed on this address, so a caller cannot get a
fresh count by sending a new header with each try.
"""

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: ``OMNISTORE_TRUSTED_PROXIES`` hops from the right of
    ``X-Forwarded-For``, else ``REMOTE_ADDR`` (also when the header is shorter than
    the proxies in front of us, so a request that went around them is not trusted)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.OMNISTORE_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") or ""
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
