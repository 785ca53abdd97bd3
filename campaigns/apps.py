from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self):
        # Tasks and signal receivers register on import, in every process.
        from . import receivers, tasks  # noqa: F401
