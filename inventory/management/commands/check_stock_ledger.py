from django.core.management.base import BaseCommand, CommandError

from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_discrepancies


class Command(BaseCommand):
    help = "Prove that the stock ledger sums to the current stock levels."

    def handle(self, *args, **options):
        problems = ledger_discrepancies()
        levels = StockLevel.objects.count()
        movements = StockMovement.objects.count()
        if problems:
            for row in problems[:50]:
                self.stderr.write(f"mismatch: {row}")
            raise CommandError(
                f"{len(problems)} of {levels} stock levels disagree with the ledger."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {levels} stock levels agree with {movements} ledger movements."
            )
        )
