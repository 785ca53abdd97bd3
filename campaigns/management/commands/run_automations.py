from django.core.management.base import BaseCommand

from campaigns.services.automations import run_automations


class Command(BaseCommand):
    help = (
        "Look at watched stock changes for restocks, run every active automation "
        "once (abandoned cart, post-purchase, win-back, back in stock, price drop) "
        "and the pickup reminders; each customer is messaged once per trigger."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, **options):
        sent = run_automations(batch_size=options["batch_size"])
        for name, count in sent.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(self.style.SUCCESS(f"{sum(sent.values())} message(s) sent"))
