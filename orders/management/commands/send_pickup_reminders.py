from django.core.management.base import BaseCommand

from orders.services.pickups import send_pickup_reminders


class Command(BaseCommand):
    help = (
        "Remind customers whose pickup expires within OMNISTORE_PICKUP_REMINDER_DAYS "
        "(each order once)."
    )

    def handle(self, *args, **options):
        numbers = send_pickup_reminders()
        for number in numbers:
            self.stdout.write(f"reminded {number}")
        self.stdout.write(self.style.SUCCESS(f"{len(numbers)} reminder(s) queued"))
