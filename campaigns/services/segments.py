"""Segments: saved audiences, written only with rules that validate."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from campaigns.models import Segment
from campaigns.rules import rule_errors
from campaigns.segments.compiler import compile_rules
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import ValidationFailed


def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "Give the segment a name.", extra={"name": ["Required."]}
        )
    return name[:120]


def segment_rule_errors(rules) -> list[str]:
    """Every error in ``rules``, each naming where it is: fields, operators, values
    and references, then the size of the query they compile to (building it runs
    none). Empty when the rules may be saved and previewed."""
    errors = rule_errors(rules)
    if errors:
        return errors
    try:
        compile_rules(rules)
    except ValidationFailed as refused:
        return list(refused.extra["rules"])
    return []


def validate_segment_rules(*, rules) -> dict:
    """The rules, when every field, operator, value and reference in them is valid
    and they compile to a query the database can run; otherwise
    ``ValidationFailed`` listing every error."""
    errors = segment_rule_errors(rules)
    if errors:
        raise ValidationFailed(
            f"The segment rules are not valid: {errors[0]}",
            code="invalid_segment",
            extra={"rules": errors},
        )
    return rules


@transaction.atomic
def create_segment(*, name: str, rules, description: str = "", actor=None) -> Segment:
    name = _clean_name(name)
    validate_segment_rules(rules=rules)
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
        segment.rules = validate_segment_rules(rules=rules)
        fields.append("rules")
    if description is not None:
        segment.description = description.strip()
        fields.append("description")
    segment.updated_at = timezone.now()
    segment.save(update_fields=fields)
    return segment
