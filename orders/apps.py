from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        # Outbox handlers and signal receivers register on import, in every process.
        from . import emails, receivers, tasks  # noqa: F401
        from .payments.registry import refuse_test_money, register_provider
        from .services.payments import StoreCreditProvider

        register_provider(StoreCreditProvider())
        # Production settings never take test money: refuse to start instead.
        refuse_test_money()
