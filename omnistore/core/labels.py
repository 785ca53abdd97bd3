"""Codes stored in a row (a status, a kind, a channel) as people read them, where the
column itself has no choices to give the label: a history's earlier status, a
timeline's free event kind."""

from __future__ import annotations


def label_of(choices, value: str) -> str:
    """The label of ``value`` among ``choices`` (a ``TextChoices``, or a field's
    ``flatchoices`` pairs); an unknown code reads as words."""
    if not value:
        return ""
    labels = dict(choices.choices if hasattr(choices, "choices") else choices)
    return str(labels[value]) if value in labels else humanized(value)


def humanized(code: str) -> str:
    """A code read as words: ``order_placed`` is "Order placed"."""
    return code.replace("_", " ").strip().capitalize()


def status_step(choices, before: str, after: str) -> str:
    """One step of a status history: "Ready for pickup → Collected", or the first
    status alone when there was none before."""
    if not before:
        return label_of(choices, after)
    return f"{label_of(choices, before)} → {label_of(choices, after)}"


def described(description: str):
    """Names a model method shown as an admin column or read-only field, as
    ``admin.display`` does, without the model importing the admin."""

    def mark(method):
        method.short_description = description
        return method

    return mark
