from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "omnistore.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self):
        from . import webhooks  # noqa: F401  (registers its drain hook)
