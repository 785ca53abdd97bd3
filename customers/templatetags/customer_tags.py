from django import template
from django.conf import settings

from customers.selectors.loyalty import points_value
from omnistore.core.channels import Channel

register = template.Library()

LABELS = {
    "customer_created": "Profile",
    "identity_added": "Contact",
    "profile_updated": "Profile",
    "consent_granted": "Consent",
    "consent_withdrawn": "Consent",
    "note_added": "Note",
    "customer_merged": "Merge",
    "customer_erased": "Erasure",
    "points_earned": "Points",
    "points_reversed": "Points",
    "appointment_booked": "Appointment",
    "appointment_cancelled": "Cancelled",
    "appointment_completed": "Appointment",
    "appointment_no_show": "No-show",
    "appointment_reminder": "Reminder",
}


@register.filter
def card_digits(number) -> str:
    """A loyalty card's number as staff screens and receipts show it: its last four
    digits. The whole number is the counter's proof that the customer holds the
    card (it opens their points and store credit), so it is read from the card or
    the app, never from a screen."""
    text = str(number or "")
    return f"•••• {text[-4:]}" if text else ""


@register.filter
def event_label(kind: str) -> str:
    """A short label for a timeline kind; kinds of other apps read from their name."""
    if kind in LABELS:
        return LABELS[kind]
    return kind.split("_", 1)[0].capitalize() if kind else ""


@register.filter
def event_family(kind: str) -> str:
    """CSS family of a timeline kind: its first word (order, return, wishlist…)."""
    return (kind or "other").split("_", 1)[0]


@register.filter
def channel_label(value: str) -> str:
    """Store, Website, App, Phone for channel codes; other strings as they are."""
    return Channel(value).label if value in Channel.values else value


@register.filter
def points_worth(points: int) -> str:
    """What ``points`` pay, in the home currency ("8.40 EUR")."""
    return f"{points_value(points or 0)} {settings.OMNISTORE_CURRENCY}"
