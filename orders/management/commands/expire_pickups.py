from django.core.management.base import BaseCommand

from orders.services.pickups import expire_uncollected_pickups


class Command(BaseCommand):
    help = (
        "Cancel click-and-collect orders not collected within "
        "OMNISTORE_PICKUP_EXPIRY_DAYS (stock released, payment refunded)."
    )

    def handle(self, *args, **options):
        numbers = expire_uncollected_pickups()
        for number in numbers:
            self.stdout.write(f"cancelled {number}")
        self.stdout.write(
            self.style.SUCCESS(f"{len(numbers)} uncollected order(s) expired")
        )
