"""Taking a person's data out of side effects already written: outbox rows and webhook
deliveries.

A payload is JSON written when something happened; when the person it names asks to
be forgotten, the strings that hold their data are replaced, and a message still
waiting to leave is cancelled (it would otherwise write to them, or about them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .models import OutboxMessage, WebhookDelivery

REDACTED = "[erased]"
# Shorter strings (a first name, a house number) would match unrelated payloads.
SHORTEST_VALUE = 5


def redact_values(payload: Any, values: Iterable[str]) -> Any:
    """``payload`` with every string that contains one of ``values`` (any case)
    replaced; keys, numbers and other strings stay."""
    needles = [v.casefold() for v in values if v]
    return _redact(payload, needles)


def _redact(node: Any, needles: list[str]) -> Any:
    if isinstance(node, dict):
        return {key: _redact(value, needles) for key, value in node.items()}
    if isinstance(node, list):
        return [_redact(value, needles) for value in node]
    if isinstance(node, str) and any(n in node.casefold() for n in needles):
        return REDACTED
    return node


def redact_keys(payload: dict, keys: Iterable[str]) -> dict:
    """``payload`` with the non-empty values of ``keys`` replaced."""
    return {
        key: (REDACTED if key in keys and value not in ("", None) else value)
        for key, value in payload.items()
    }


def cancel_pending(rows: QuerySet[OutboxMessage], *, reason: str) -> int:
    """Mark the still pending ``rows`` done without delivering them: the drain takes
    only unprocessed rows, and ``last_error`` says why it never left."""
    return rows.filter(processed_at__isnull=True).update(
        processed_at=timezone.now(), last_error=reason
    )


def redact_outbox_keys(
    rows: QuerySet[OutboxMessage], *, keys: Iterable[str], reason: str
) -> int:
    """Replace ``keys`` in the payloads of ``rows`` and cancel the pending ones;
    returns how many rows were changed."""
    keys = tuple(keys)
    cancel_pending(rows, reason=reason)
    changed = []
    for row in rows.only("pk", "payload"):
        payload = redact_keys(row.payload, keys)
        if payload != row.payload:
            row.payload = payload
            changed.append(row)
    OutboxMessage.objects.bulk_update(changed, ["payload"])
    return len(changed)


def _holding(model, values: list[str]) -> QuerySet:
    """Rows of ``model`` whose JSON payload, as text, contains one of ``values``."""
    condition = Q()
    for value in values:
        condition |= Q(payload_text__icontains=value)
    return model.objects.annotate(payload_text=Cast("payload", TextField())).filter(
        condition
    )


def redact_payloads(values: Iterable[str], *, reason: str) -> int:
    """Every outbox row and webhook delivery whose payload holds one of ``values``:
    the strings holding them are replaced, and outbox rows still pending are cancelled.
    Returns how many rows were changed.

    A sweep of both tables, for the rare erasure: it catches payloads of any topic,
    including ones added later, without knowing their shape.
    """
    needles = sorted({v for v in values if v and len(v) >= SHORTEST_VALUE})
    if not needles:
        return 0
    changed = 0
    for model in (OutboxMessage, WebhookDelivery):
        rows = []
        for row in _holding(model, needles).only("pk", "payload"):
            payload = redact_values(row.payload, needles)
            if payload != row.payload:
                row.payload = payload
                rows.append(row)
        model.objects.bulk_update(rows, ["payload"])
        changed += len(rows)
        if model is OutboxMessage and rows:
            cancel_pending(
                OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]),
                reason=reason,
            )
    return changed
