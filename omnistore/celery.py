import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnistore.settings.dev")

app = Celery("omnistore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["omnistore.core", "inventory", "customers", "orders", "campaigns"]
)
