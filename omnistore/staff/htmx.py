"""What every staff screen does with HTMX and forms, in one place.

- ``is_partial``: answer with the fragment, not the page (an HTMX request that is not
  a history restore); every staff answer says it varies with those request headers
  (``omnistore.staff.middleware``), so Back never shows a kept fragment as the page;
- ``redirect_to``: an HTMX client redirect, or a plain one without JavaScript;
- ``same_site``: a page to go back to (``next``, ``back``, a header), only when it
  is one of this site's;
- ``render_invalid``: the page or fragment again with status 422 (``INVALID``), which
  htmx is configured to swap so the form errors show;
- ``field_errors`` / ``place_service_error`` / ``add_service_error``: a service's
  refusal (``ApplicationError``) put on the form fields it names, the rest on top.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django import forms
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from omnistore.core.exceptions import ApplicationError

INVALID = 422


def is_partial(request) -> bool:
    return (
        bool(getattr(request, "htmx", False))
        and not request.htmx.history_restore_request
    )


def redirect_to(request, url: str):
    """To ``url`` (an address, never a view's name)."""
    return (
        HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
    )


def same_site(request, url: str | None) -> str | None:
    """``url`` when it leads to a page of this site (as Django's login checks it: a
    link elsewhere could send a signed-in associate to a look-alike page), and is a
    path or a whole address: a bare word ("Infinity") is no page. Else None."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return url if url.startswith("/") or urlsplit(url).netloc else None


def render_invalid(request, template: str, context: dict):
    return render(request, template, context, status=INVALID)


def field_errors(extra) -> dict[str, list[str]]:
    """A service's ``extra`` as field -> messages; nested dicts (an address) flatten."""
    found: dict[str, list[str]] = {}
    for key, value in (extra or {}).items():
        if isinstance(value, dict):
            for inner, messages in field_errors(value).items():
                found.setdefault(inner, []).extend(messages)
        elif isinstance(value, list | tuple):
            found.setdefault(key, []).extend(
                str(m) for m in value if isinstance(m, str)
            )
    return found


def place_service_error(
    forms_: list[forms.Form],
    error: ApplicationError,
    field_map: dict | None = None,
    *,
    explain: Callable[[ApplicationError], str] | None = None,
) -> list[str]:
    """Put a refusal's field errors on whichever form has that field; return the
    messages for the top of the page: the refusal in the shop floor's words
    (``explain``, else its message) and anything no form could take."""
    top = [explain(error) if explain else error.message]
    field_map = field_map or {}
    for key, messages in field_errors(error.extra).items():
        name = field_map.get(key, key)
        form = next((f for f in forms_ if name in f.fields), None)
        for message in messages:
            if form is not None:
                form.add_error(name, message)
            elif message not in top:
                top.append(message)
    return [message for message in top if message]


def add_service_error(
    form: forms.Form,
    error: ApplicationError,
    field_map: dict | None = None,
    *,
    explain: Callable[[ApplicationError], str] | None = None,
    field_only: bool = False,
) -> None:
    """A refusal on one form: its message on top, field errors by their field. With
    ``field_only``, a refusal naming a field of the form shows there alone, not
    twice (on top and under the field)."""
    top = place_service_error([form], error, field_map, explain=explain)
    if field_only:
        names = {(field_map or {}).get(key, key) for key in field_errors(error.extra)}
        if names & set(form.fields):
            refusal = explain(error) if explain else error.message
            top = [message for message in top if message != refusal]
    for message in top:
        form.add_error(None, message)
