"""A staff form sent twice does its work once.

A form that moves stock or cash by an amount carries a one-time token (``once``, a
hidden field drawn when the form is drawn). The first POST with it claims it in the
shared cache for a day; the same POST again (a double tap, a resent request) finds
it claimed and changes nothing. A refused POST gives its token back, so the form
corrected and sent again goes through. Without the cache the forms still work (the
guard is off rather than the till).

A template draws the hidden field with ``{% load sent_once %}{% once_field %}``
(a new token each time it is drawn).
"""

from __future__ import annotations

import secrets

from django import forms, template
from django.core.cache import cache
from django.utils.html import format_html

DAY = 24 * 3600
register = template.Library()
ALREADY = "This was already recorded: the form was sent twice."


def new_token() -> str:
    return secrets.token_hex(16)


@register.simple_tag
def once_field() -> str:
    """The hidden ``once`` input of a form drawn in a template."""
    return format_html('<input type="hidden" name="once" value="{}">', new_token())


class SentOnceForm(forms.Form):
    """A form whose POST is taken once (``claim``)."""

    once = forms.CharField(
        widget=forms.HiddenInput, initial=new_token, max_length=64, min_length=16
    )


def _key(request, token: str) -> str:
    return f"staff-once:{request.user.pk}:{token}"


def claim(request, form: SentOnceForm) -> bool:
    """Whether this is the first time the form's token is sent (the form gets an
    error saying so when it is not). Takes ``once`` out of the cleaned data."""
    token = form.cleaned_data.pop("once")
    key = _key(request, token)
    if cache.add(key, 1, DAY) or cache.get(key) is None:
        return True
    form.add_error(None, ALREADY)
    return False


def give_back(request, form: SentOnceForm) -> None:
    """The token of a POST that was refused, free again for the corrected form."""
    token = form.data.get(form.add_prefix("once"), "")
    if token:
        cache.delete(_key(request, token))
