"""One error family for every layer.

Services raise these; the API renders them as ``{"message", "code", "extra"}`` with
``status``; HTMX views show ``message`` next to the form with status 422.
"""

from __future__ import annotations

from typing import Any

from .labels import label_of


class ApplicationError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(
        self, message: str, code: str | None = None, extra: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    """Input is well-formed but breaks a business rule; ``extra`` holds field errors."""


class NotFound(ApplicationError):
    status = 404
    default_code = "not_found"


class PermissionDenied(ApplicationError):
    status = 403
    default_code = "permission_denied"


class ServiceUnavailable(ApplicationError):
    """Something the request needs is down for a moment; the client may retry (the
    API adds ``Retry-After``)."""

    status = 503
    default_code = "temporarily_unavailable"


class Conflict(ApplicationError):
    status = 409
    default_code = "conflict"


class InsufficientStock(Conflict):
    """Raised once for a whole request, naming every short line in ``extra['lines']``."""

    default_code = "insufficient_stock"

    def __init__(self, lines: list[dict[str, Any]], message: str | None = None):
        self.lines = lines
        skus = ", ".join(str(line.get("sku", line.get("variant_id"))) for line in lines)
        super().__init__(
            message or f"Not enough stock for: {skus}", extra={"lines": lines}
        )


class IllegalTransition(Conflict):
    """A status change the state machine refuses, said in words: the statuses'
    labels (from ``choices``, else the codes read as words), and "already" when the
    thing is in the status asked for. ``extra`` keeps the codes."""

    default_code = "illegal_transition"

    def __init__(self, *, obj: str, current: str, target: str, choices=None):
        def words(code) -> str:
            label = label_of(choices or (), str(code))
            return label[:1].lower() + label[1:]

        if str(current) == str(target):
            message = f"{obj} is already {words(current)}."
        else:
            message = f"{obj} cannot go from {words(current)} to {words(target)}."
        super().__init__(message, extra={"from": str(current), "to": str(target)})
        self.obj = obj


class ReturnNotAllowed(Conflict):
    """A return the policy refuses (outside the window, nothing handed over yet);
    ``extra`` says why and whether staff may override it with a reason."""

    default_code = "return_not_allowed"
