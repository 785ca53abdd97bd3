"""Who did it: the user recorded on a history row, an event or a ledger entry."""


def acting_user(actor):
    """The signed-in user behind an action, or ``None`` for the system, a customer's
    anonymous session or a task (an ``AnonymousUser`` is never stored)."""
    return actor if getattr(actor, "is_authenticated", False) else None
