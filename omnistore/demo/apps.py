from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo's commands (``seed_demo``, ``demo_info``): they call every app's demo
    data, so they sit above all the apps, not in the core below them."""

    name = "omnistore.demo"
    label = "demo"
    verbose_name = "Demo data"
