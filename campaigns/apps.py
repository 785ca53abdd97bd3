from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self):
        # Tasks and signal receivers register on import, in every process.
        from customers.privacy import register as register_personal_data
        from orders.services.discounts import register_campaign_lookup

        from . import receivers, tasks  # noqa: F401
        from .privacy import personal_data
        from .services.discounts import campaign_exists

        register_personal_data(personal_data())
        register_campaign_lookup(campaign_exists)
