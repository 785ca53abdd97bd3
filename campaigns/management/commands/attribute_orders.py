from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from campaigns.services.attribution import attribute_orders


class Command(BaseCommand):
    help = (
        "Attribute orders of the last N days to the campaign clicked within the "
        "attribution window before each order, else to the campaign of its code "
        "that messaged the buyer within the window (orders already attributed are "
        "kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=1)

    def handle(self, *args, **options):
        since = timezone.now() - timedelta(days=max(options["days"], 0))
        count = attribute_orders(since=since)
        self.stdout.write(self.style.SUCCESS(f"{count} order(s) attributed"))
