"""The test suite: fast hashing, in-memory email, eager Celery unless REDIS_URL is set."""

import os

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
# The suite signs up and in from one client address, and most test folders keep the
# cache's counts from test to test: the limits per client alone are lifted here (the
# tests of those limits set the rates they check).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "sign_in_client": "100000/minute",
    "sign_up_client": "100000/minute",
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests create and drop endpoints inside rolled-back transactions: read them every time.
OMNISTORE_WEBHOOK_ENDPOINTS_TTL = 0
# Tests write rates and markets inside rolled-back transactions: read them every time.
OMNISTORE_TAX_TABLE_TTL = 0

# Test subscribers and campaign links: plain http allowed, the demo shop's links tracked.
OMNISTORE_WEBHOOK_ALLOW_HTTP = True
OMNISTORE_TRACKING_ALLOWED_HOSTS = ["shop.example.org"]

# Counts in process memory, whatever the environment says: each test starts clean
# with cache.clear(), which on Redis would empty the broker's database too.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Concurrency tests hold locks on purpose on a busy machine: no server-side timeouts
# unless the environment asks (the fault tests run the app with production's).
if "options" in DATABASES["default"].get("OPTIONS", {}) and not any(  # noqa: F405
    name in os.environ for name in ("DB_LOCK_TIMEOUT_MS", "DB_STATEMENT_TIMEOUT_MS")
):
    del DATABASES["default"]["OPTIONS"]["options"]  # noqa: F405

# The replica alias as a mirror of the test database: the router's tests turn replica
# reads on (OMNISTORE_READ_REPLICA) where they need them; everything else reads the
# primary, inside the test's transaction.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
OMNISTORE_READ_REPLICA = ""
