from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self):
        # Outbox handlers (wishlist sharing, verification codes) register on import,
        # in every process.
        from .services import verification, wishlists  # noqa: F401
