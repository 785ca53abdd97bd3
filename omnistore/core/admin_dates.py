"""Dates typed into any admin form stay within years a date means something in.

A date of year 1 (``0001-01-01``, a placeholder or a slip) is a date Python holds,
but not once moved to UTC from the shops' time zone: saving it would fail as the
database adapter converts it. So every admin date and date-time field takes years
``FIRST_DAY.year`` to ``LAST_DAY.year`` only, and says so next to the field; the
form is shown again with what was typed and nothing is saved.

How every admin form gets them, in one place: Django's admin builds each model
field's form field from ``django.contrib.admin.options.FORMFIELD_FOR_DBFIELD_DEFAULTS``
merged with the ModelAdmin's own ``formfield_overrides``, copied when the ModelAdmin
is made (a registered one when it is registered, an inline at each request). The
admin registers them in its own ``ready()``, which runs before this app's (it is
listed first in ``INSTALLED_APPS``), so ``bound_admin_dates`` runs earlier, when this
app's config is made (``CoreConfig``), before any admin module is imported. Every
ModelAdmin and inline of every app then takes these form fields; one that names its
own widget for dates keeps them, and a form that declares a date field itself
decides its own bounds (the reports' periods do).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.admin import options
from django.db import models

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
OUT_OF_RANGE = f"Enter a date from {FIRST_DAY.year} to {LAST_DAY.year}."


def check_day(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")


class AdminDateField(forms.DateField):
    def validate(self, value):
        super().validate(value)
        if value is not None:
            check_day(value)


class AdminSplitDateTimeField(forms.SplitDateTimeField):
    """The admin's date and time boxes; the date is judged as typed, in the shops'
    time zone (moving a year-1 moment to another zone is what fails)."""

    def validate(self, value):
        super().validate(value)
        if value is not None:
            check_day(value.date())


def bound_admin_dates() -> None:
    """Every admin form's date and date-time fields from now on are bounded."""
    defaults = options.FORMFIELD_FOR_DBFIELD_DEFAULTS
    defaults[models.DateTimeField]["form_class"] = AdminSplitDateTimeField
    defaults.setdefault(models.DateField, {})["form_class"] = AdminDateField
