"""JSON typed into an admin form, refused at its field as the API refuses it in a
body: nested deeper than ``MAX_JSON_DEPTH`` (or than the parser can read), or a
string no column can hold (a NUL, a lone surrogate). Either would fail later, when
the value is saved, read back or shown, as a server error."""

from __future__ import annotations

from django import forms

from .parsers import MAX_JSON_DEPTH, body_problem


class CheckedJSONField(forms.JSONField):
    def to_python(self, value):
        try:
            data = super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(
                f"Nested more than {MAX_JSON_DEPTH} deep.", code="invalid"
            ) from None
        problem = body_problem(data, MAX_JSON_DEPTH)
        if problem is not None:
            raise forms.ValidationError(problem, code="invalid")
        return data

    def bound_data(self, data, initial):
        """A refused value is shown again as typed, never decoded and written back
        (a lone surrogate cannot even be sent in the page)."""
        try:
            value = super().bound_data(data, initial)
        except RecursionError:
            return forms.fields.InvalidJSONInput(data)
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        if body_problem(value, MAX_JSON_DEPTH) is not None:
            return forms.fields.InvalidJSONInput(data)
        return value
