from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        # Outbox handlers and signal receivers register on import, in every process.
        from customers.privacy import register as register_personal_data

        from . import emails, receivers, tasks  # noqa: F401
        from .payments.registry import refuse_test_money, register_provider
        from .privacy import personal_data
        from .services.giftcards import GiftCardProvider
        from .services.money_back import StoreCreditProvider
        from .services.tenders import PointsProvider

        register_provider(StoreCreditProvider())
        register_provider(GiftCardProvider())
        register_provider(PointsProvider())
        register_personal_data(personal_data())
        # Production settings never take test money: refuse to start instead.
        refuse_test_money()
