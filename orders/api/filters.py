"""What the storefront's order list is narrowed by: the channel, the status and the
days the orders were placed. A value the list does not take is a 400 naming the
parameter (``DjangoFilterBackend``), never ignored."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import serializers

from omnistore.core.api import name_the_choices
from omnistore.core.channels import Channel
from orders.models import Order, OrderStatus


def choices_named(choices) -> dict[str, str]:
    """The error of a value that is not one of ``choices``, worded as the API's
    bodies word it (``name_the_choices``), for a Django form field."""
    field = serializers.ChoiceField(choices=choices)
    name_the_choices([field])
    message = field.error_messages["invalid_choice"]
    return {"invalid_choice": message.replace("{input}", "%(value)s")}


def start_of(day: date) -> datetime | None:
    """The first moment of ``day`` in the shops' time zone (as receipts and staff
    pages date orders); None for a day so far off that no stored time can be
    compared with it."""
    try:
        start = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
        start.astimezone(UTC)  # what the database is asked in
    except OverflowError:
        return None
    return start


class PlacedDayFilter(django_filters.DateFilter):
    """Orders placed from the start of a day (``to_end=False``) or up to its end
    (``to_end=True``). A day beyond what a stored time can be leaves the list whole:
    every order was placed after the first day there is, and before the last."""

    def __init__(self, *args, to_end: bool = False, **kwargs):
        self.to_end = to_end
        super().__init__(*args, field_name="created_at", **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        try:
            bound = start_of(value + timedelta(days=1) if self.to_end else value)
        except OverflowError:  # the day after the last day there is
            bound = None
        if bound is None:
            return qs
        lookup = "lt" if self.to_end else "gte"
        return qs.filter(**{f"{self.field_name}__{lookup}": bound})


class SentValuesForm(forms.Form):
    """A parameter sent empty (``?status=``) is refused like any other value the list
    does not take, not read as no filter: the schema gives each one its type or its
    choices, which the empty text is not (as the product list's ``category``)."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if name in self.data and name not in self.errors and not self.data[name]:
                code = (
                    "invalid_choice"
                    if "invalid_choice" in field.error_messages
                    else "invalid"
                )
                self.add_error(
                    name,
                    ValidationError(
                        field.error_messages[code], code=code, params={"value": ""}
                    ),
                )
        return cleaned


class OrderFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices,
        error_messages=choices_named(Channel.choices),
        help_text="Only orders placed on this channel (`store`: at a shop's counter).",
    )
    status = django_filters.ChoiceFilter(
        choices=OrderStatus.choices,
        error_messages=choices_named(OrderStatus.choices),
        help_text="Only orders with this status.",
    )
    created_after = PlacedDayFilter(
        help_text="Only orders placed on this day or later (`created_at`, the day "
        "as the shops' time zone reads it)."
    )
    created_before = PlacedDayFilter(
        to_end=True,
        help_text="Only orders placed on this day or earlier (`created_at`, the day "
        "as the shops' time zone reads it).",
    )

    class Meta:
        model = Order
        form = SentValuesForm
        fields = ["channel", "status", "created_after", "created_before"]
