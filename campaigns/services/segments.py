"""Segments: saved audiences, written only with rules that validate."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from campaigns.models import Segment
from campaigns.rules import validate_rules
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import ValidationFailed


def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "Give the segment a name.", extra={"name": ["Required."]}
        )
    return name[:120]


def validate_segment_rules(*, rules) -> dict:
    """The rules, when every field, operator, value and reference in them is valid;
    otherwise ``ValidationFailed`` listing every error."""
    return validate_rules(rules)


@transaction.atomic
def create_segment(*, name: str, rules, description: str = "", actor=None) -> Segment:
    name = _clean_name(name)
    validate_rules(rules)
    if Segment.objects.filter(name=name).exists():
        raise ValidationFailed(
            "A segment with this name exists.",
            extra={"name": ["A segment with this name exists."]},
        )
    return Segment.objects.create(
        name=name,
        rules=rules,
        description=(description or "").strip(),
        created_by=acting_user(actor),
    )


@transaction.atomic
def update_segment(
    *, segment: Segment, name: str | None = None, rules=None, description=None
) -> Segment:
    fields = ["updated_at"]
    if name is not None:
        segment.name = _clean_name(name)
        fields.append("name")
    if rules is not None:
        segment.rules = validate_rules(rules)
        fields.append("rules")
    if description is not None:
        segment.description = description.strip()
        fields.append("description")
    segment.updated_at = timezone.now()
    segment.save(update_fields=fields)
    return segment
