"""A shop's till for the counter tests: a register and a session opened with a float."""

from __future__ import annotations

from decimal import Decimal

from orders.models import Register
from orders.services.till import open_till


def open_counter_till(associate, *, location=None, name="Till 1", counts=None):
    """Open ``name`` at ``location`` (the associate's shop unless given) with a float
    (100.00 by default)."""
    register, _ = Register.objects.get_or_create(
        location=location or associate.store, name=name
    )
    return open_till(
        register=register,
        counts=counts if counts is not None else {Decimal("50"): 2},
        actor=associate,
    )
