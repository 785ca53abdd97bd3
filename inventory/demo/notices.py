"""The demo's low-stock notices: the sweep beat runs every few minutes, run once on
the seeded stock (the orders' holds included), so each shop opens on its news."""

from __future__ import annotations

from inventory.models import LowStockNotice
from inventory.services.low_stock import sweep_low_stock


def seed_low_stock_notices(*, scale: int = 1, stdout=None) -> int:
    opened = len(sweep_low_stock().opened)
    if stdout is not None:
        open_now = LowStockNotice.objects.filter(resolved_at__isnull=True).count()
        noun = "notice" if open_now == 1 else "notices"
        stdout.write(f"Low stock: {open_now} {noun} open in the shops ({opened} new).")
    return opened
