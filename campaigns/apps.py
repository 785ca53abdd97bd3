from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self):
        # Tasks register on import, in every process.
        from . import tasks  # noqa: F401
