"""Local development and the demo: SQLite and eager Celery unless the environment says otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool
from .guard import DEVELOPMENT, refuse_development_settings

# Loaded however it was named (--settings, an import): never on a production server.
refuse_development_settings({**os.environ, "DJANGO_SETTINGS_MODULE": DEVELOPMENT})

DEBUG = env_bool("DEBUG", True)

# Local subscribers may use plain http; the demo's campaign links are tracked.
OMNISTORE_WEBHOOK_ALLOW_HTTP = env_bool("OMNISTORE_WEBHOOK_ALLOW_HTTP", True)
OMNISTORE_TRACKING_ALLOWED_HOSTS = [
    *OMNISTORE_TRACKING_ALLOWED_HOSTS,  # noqa: F405
    "shop.example.org",
]
