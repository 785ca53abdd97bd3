from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "omnistore.core"
    label = "core"
    verbose_name = "Platform"
