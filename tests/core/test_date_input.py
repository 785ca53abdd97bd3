"""Dates typed by hand are read day first, as the shops write them."""

import datetime as dt

import pytest
from django import forms

from customers.staff.forms import ManualTaskForm
from omnistore.staff.once import new_token


class DayForm(forms.Form):
    day = forms.DateField()


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2027-02-01", dt.date(2027, 2, 1)),
        ("01/02/2027", dt.date(2027, 2, 1)),
        ("01.02.2027", dt.date(2027, 2, 1)),
        ("1 Feb 2027", dt.date(2027, 2, 1)),
        ("13/02/2027", dt.date(2027, 2, 13)),
    ],
)
def test_a_date_typed_day_first_is_that_day(typed, day):
    form = DayForm({"day": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == day


def test_month_first_is_not_read():
    assert not DayForm({"day": "02/13/2027"}).is_valid()


def test_a_task_typed_day_first_is_due_that_day():
    ahead = dt.date.today() + dt.timedelta(days=40)
    typed = {"title": "Call", "due_on": ahead.strftime("%d/%m/%Y")}
    form = ManualTaskForm({**typed, "once": new_token()})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due_on"] == ahead
