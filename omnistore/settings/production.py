"""Production: everything secret or host-specific comes from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: production needs a long random secret in the "
        "environment (docs/operations.md)."
    )
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# A load balancer probes the app servers over plain HTTP (docs/operations.md).
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    },
}

# Email leaves through SMTP (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, …): the
# development console would print receipts, codes and reset links in the worker's
# log. `check --deploy` warns about a console or dummy backend set on purpose.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
# seed_demo makes logins with a public password: refused here, unless a throwaway
# production-mode stack (the benchmark's) says otherwise.
OMNISTORE_DEMO_DATA_ALLOWED = env_bool("OMNISTORE_DEMO_DATA_ALLOWED", False)

# Payments: real money only. The app refuses to start with the test provider.
OMNISTORE_PAYMENT_PROVIDER = os.environ.get("OMNISTORE_PAYMENT_PROVIDER", "stripe")
OMNISTORE_PAYMENT_TEST_PROVIDER_ALLOWED = False

# Card-present terminals: no simulated reader in production (its approve button would
# take a sale without a card); name a real provider to use paired readers.
OMNISTORE_TERMINAL_PROVIDER = os.environ.get("OMNISTORE_TERMINAL_PROVIDER", "")
if OMNISTORE_TERMINAL_PROVIDER == "simulated":
    raise ImproperlyConfigured("The simulated terminal is not for production.")

# The API's schema and docs for signed-in staff only (anyone else: 404).
OMNISTORE_API_DOCS_PUBLIC = env_bool("OMNISTORE_API_DOCS_PUBLIC", False)

# --- More than one process or server --------------------------------------
# Rate limits, throttles and anything else kept in the cache must be shared by every
# web worker and server: a per-process cache would give each its own count. Refuse to
# start without Redis (CACHE_URL, default REDIS_URL).
if not CACHE_URL:  # noqa: F405
    raise ImproperlyConfigured(
        "Production needs a shared cache: set CACHE_URL or REDIS_URL (Redis)."
    )
# Static files served by the app itself (whitenoise: compressed, cached forever under
# their hashed names), from STATIC_ROOT, which `manage.py collectstatic` fills at
# deploy time.
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(STATIC_ROOT))  # noqa: F405
MIDDLEWARE.insert(  # noqa: F405
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# Pages link the hashed names only ({% static %}): keep those, and leave source maps
# uncompressed (large, and fetched by developer tools alone). A deploy's collectstatic
# then compresses a third of what it would.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# The API answers in JSON only: DRF's browsable HTML pages are for development (the
# API's documentation is /api/docs/).
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
