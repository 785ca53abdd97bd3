from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self):
        # Outbox handlers (wishlist sharing) register on import, in every process.
        pass
