import os

from celery import Celery

from omnistore.settings.guard import refuse_development_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnistore.settings.dev")
refuse_development_settings(os.environ)  # a worker never runs the development settings

app = Celery("omnistore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    [
        "omnistore.core",
        "omnistore.approvals",
        "inventory",
        "customers",
        "orders",
        "campaigns",
    ]
)
