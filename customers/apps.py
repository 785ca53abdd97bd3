from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self):
        # Outbox handlers (wishlist sharing, verification codes, replies, appointment
        # reminders) register on import, in every process; the personal data this
        # app holds joins the registry.
        from customers.privacy import register

        from .services import (  # noqa: F401
            appointments,
            inbox,
            password_reset,
            verification,
            wishlists,
        )
        from .services.browsing import browsing_personal_data
        from .services.erasure import personal_data

        register(personal_data())
        register(browsing_personal_data())
        # The appointment admins build on this app's admin module (imported by the
        # admin's autodiscovery, or here): registered once both exist.
        from . import appointments_admin  # noqa: F401
