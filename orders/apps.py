from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        # Outbox handlers and signal receivers register on import, in every process.
        from . import emails, receivers, tasks  # noqa: F401
