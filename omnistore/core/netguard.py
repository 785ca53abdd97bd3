"""Outgoing calls to addresses someone else typed (webhook URLs): only to the public
internet, never to this machine, the private network or a cloud metadata service.

A URL is checked when it is registered and again at every delivery, because a name
can resolve to a public address on Monday and to ``127.0.0.1`` on Tuesday (DNS
rebinding). The delivery connects to the address it checked, with the name in the
``Host`` header and TLS SNI, so the check and the connection see the same address.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """A URL we refuse to call; the message says why, for the admin form and the
    delivery's last error."""


class Unresolvable(UnsafeURL):
    """The host did not resolve (perhaps only for now: a delivery tries again)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def resolver() -> Resolver:
    return import_string(settings.OMNISTORE_WEBHOOK_RESOLVER)


def _embedded_ipv4(ip: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_forbidden(ip: Address) -> bool:
    """Private, loopback, link-local, multicast, reserved, unspecified or otherwise
    not globally routable, directly or through an IPv4 address inside IPv6."""
    inner = _embedded_ipv4(ip)
    if inner is not None and is_forbidden(inner):
        return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _allowed_networks() -> list:
    return [
        ipaddress.ip_network(net, strict=False)
        for net in settings.OMNISTORE_WEBHOOK_ALLOWED_NETWORKS
    ]


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("This is not a valid URL.") from None
    schemes = ("https", "http") if settings.OMNISTORE_WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeURL(f"Use a URL starting with {' or '.join(schemes)}://.")
    if not parts.hostname or "@" in parts.netloc or "\\" in url:
        raise UnsafeURL("Give a host name without user name or password.")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def check_url(url: str, *, resolve: Resolver | None = None) -> Target:
    """The target of ``url`` if every address its host resolves to is public (or in
    ``OMNISTORE_WEBHOOK_ALLOWED_NETWORKS``); raises ``UnsafeURL`` otherwise."""
    scheme, host, port, path = _split(url)
    try:
        found = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = [
                ipaddress.ip_address(a.split("%", 1)[0])
                for a in (resolve or resolver())(host, port)
            ]
        except (OSError, UnicodeError, ValueError):
            raise Unresolvable(f"The host {host} cannot be resolved.") from None
    if not found:
        raise Unresolvable(f"The host {host} cannot be resolved.")
    allowed = _allowed_networks()
    for ip in found:
        if is_forbidden(ip) and not any(ip in net for net in allowed):
            raise UnsafeURL(
                f"{host} points to {ip}, a private or reserved address; "
                "webhooks go only to public addresses."
            )
    return Target(scheme, host, port, path, str(found[0]))


def validate_public_url(url: str) -> None:
    """Field validator: the same check as at delivery, as a form error."""
    try:
        check_url(url)
    except UnsafeURL as error:
        raise ValidationError(str(error), code="unsafe_url") from None


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection with Nagle's delay off, as ``http.client`` sets it: a
    request's headers and body leave at once on a kept connection too."""
    sock = socket.create_connection((address, port), timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address; ``Host`` still names the host."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = self.pinned = _connect(self._address, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """The same over TLS: SNI and the certificate check use the host name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host,
            target.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self._address = target.address

    def connect(self):
        sock = _connect(self._address, self.port, self.timeout)
        self.sock = self.pinned = self._context.wrap_socket(
            sock, server_hostname=self.host
        )


class Kept:
    """Connections kept open between the calls of one batch (HTTP/1.1 keep-alive),
    one per checked address: a subscriber that keeps its connection open is called
    over it again, without a new TCP (and TLS) handshake per call. ``close`` ends
    them; a connection the server closes, or whose answer was not read to its end,
    is not used again."""

    def __init__(self):
        self._open: dict[tuple, http.client.HTTPConnection] = {}

    def take(self, target: Target, timeout: float) -> tuple[object, bool]:
        """(a connection to ``target``, whether it is already open)."""
        key = (target.scheme, target.host, target.port, target.address)
        connection = self._open.pop(key, None)
        if connection is not None and connection.sock is not None:
            connection.sock.settimeout(timeout)
            return connection, True
        kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
        return kind(target, timeout), False

    def give_back(self, target: Target, connection, reusable: bool) -> None:
        key = (target.scheme, target.host, target.port, target.address)
        if reusable and connection.sock is not None:
            self._open[key] = connection
        else:
            connection.close()

    def close(self) -> None:
        for connection in self._open.values():
            connection.close()
        self._open.clear()


# An open connection the server closed meanwhile fails before any answer: the call
# is made again once on a new connection (the delivery id lets receivers drop a
# repeat, as they must for any retry).
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    kept: Kept | None = None,
) -> int:
    """POST ``body`` to a checked target and return the status. Redirects are not
    followed (a 3xx is just a status); the whole exchange must end within
    ``timeout`` seconds and at most ``OMNISTORE_WEBHOOK_MAX_RESPONSE_BYTES`` of the
    answer are read. With ``kept``, the connection is taken from and given back to
    it. Raises ``OSError`` (``TimeoutError`` when too slow)."""
    deadline = time.monotonic() + timeout
    alone = kept is None
    kept = Kept() if alone else kept
    connection, reused = kept.take(target, timeout)
    reusable = False
    cut = _Cutoff(connection, deadline)
    try:
        try:
            response = _send(connection, target, body, headers)
        except _STALE:
            if not reused or cut.fired.is_set():
                raise
            connection.close()
            connection.timeout = max(deadline - time.monotonic(), 0.001)
            response = _send(connection, target, body, headers)
        reusable = _read_answer(connection, response, deadline, timeout)
        cut.cancel()
        if cut.fired.is_set():
            raise TimeoutError(f"No complete answer within {timeout:g} s.")
        return response.status
    except (OSError, http.client.HTTPException) as error:
        if cut.fired.is_set():
            raise TimeoutError(f"No complete answer within {timeout:g} s.") from None
        if isinstance(error, OSError):
            raise
        raise OSError(f"Bad HTTP answer: {error!r}") from None
    finally:
        cut.cancel()
        kept.give_back(target, connection, reusable and not alone)


class _Cutoff:
    """Ends the exchange at ``deadline`` whatever the server does: each socket read
    has its own timeout, so an answer whose status line and headers trickle in a
    line at a time would otherwise hold the call far longer. At the deadline the
    connection's socket is shut down, which ends any read waiting on it."""

    def __init__(self, connection, deadline: float):
        self.fired = threading.Event()
        self._connection = connection
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.fired.set()
        sock = getattr(self._connection, "sock", None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _send(connection, target: Target, body: bytes, headers: dict[str, str]):
    connection.request("POST", target.path, body=body, headers=headers)
    return connection.getresponse()


def _read_answer(connection, response, deadline: float, timeout: float) -> bool:
    """Read at most the allowed bytes of the answer before ``deadline``; returns
    whether the connection can carry another call (the answer read to its end and
    the server keeping it open)."""
    left = settings.OMNISTORE_WEBHOOK_MAX_RESPONSE_BYTES
    while left > 0:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"No complete answer within {timeout:g} s.")
        connection.pinned.settimeout(remaining)  # the response's socket, kept or not
        chunk = response.read1(min(left, 8192))
        if not chunk:
            break
        left -= len(chunk)
    read_to_end = response.isclosed() or response.length == 0
    if read_to_end:
        response.close()  # the answer's end: the connection is free for another
    return read_to_end and not response.will_close
