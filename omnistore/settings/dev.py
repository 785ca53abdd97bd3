"""Local development and the demo: SQLite and eager Celery unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)

# Local subscribers may use plain http; the demo's campaign links are tracked.
OMNISTORE_WEBHOOK_ALLOW_HTTP = env_bool("OMNISTORE_WEBHOOK_ALLOW_HTTP", True)
OMNISTORE_TRACKING_ALLOWED_HOSTS = [
    *OMNISTORE_TRACKING_ALLOWED_HOSTS,  # noqa: F405
    "shop.example.org",
]
