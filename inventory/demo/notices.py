"""The demo's low-stock notices: the sweep beat runs every few minutes, run once on
the seeded stock (the orders' holds included), so each shop opens on its news."""

from __future__ import annotations

from inventory.services.low_stock import sweep_low_stock


def seed_low_stock_notices(*, scale: int = 1, stdout=None) -> int:
    opened = len(sweep_low_stock().opened)
    if stdout is not None:
        stdout.write(f"Low stock: {opened} notices for the shops.")
    return opened
