from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "omnistore.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self):
        from . import checks, webhooks  # noqa: F401  (deploy checks, drain hook)
