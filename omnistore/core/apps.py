from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "omnistore.core"
    label = "core"
    verbose_name = "Platform"

    def __init__(self, app_name, app_module):
        super().__init__(app_name, app_module)
        # Here, not in ready(): the admin makes its ModelAdmins in its own ready(),
        # which runs first, copying the form field defaults this bounds.
        from .admin_dates import bound_admin_dates

        bound_admin_dates()

    def ready(self):
        from . import checks, webhooks  # noqa: F401  (deploy checks, drain hook)
