from django.core.management.base import BaseCommand

from campaigns.services.sending import send_due_campaigns


class Command(BaseCommand):
    help = "Send the broadcasts whose time has come and resume unfinished sends."

    def handle(self, *args, **options):
        sent = send_due_campaigns()
        self.stdout.write(self.style.SUCCESS(f"{len(sent)} campaign(s) sent: {sent}"))
