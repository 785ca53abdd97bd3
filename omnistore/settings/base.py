"""Settings shared by every mode. The environment is read here, once; the settings of
each feature are in ``features``."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from .env import env_bool, env_float, env_list
from .features import *  # noqa: F403
from .features import OMNISTORE_BROWSE_DRAIN_EVERY

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-omnistore-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "easy_thumbnails",
    "omnistore.core",
    "omnistore.accounts",
    "inventory",
    "customers",
    "orders",
    "campaigns",
    "omnistore.approvals",
    "omnistore.demo",
]

# Sessions keep each request's own changes when two requests of one browser overlap.
SESSION_ENGINE = "omnistore.core.session_store"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL in a path or query: 400 at the door; /api/ 404s as the API's JSON errors;
    # a number past what the database holds: 400.
    "omnistore.core.middleware.RejectNulMiddleware",
    "omnistore.core.middleware.OutOfRangeMiddleware",
    "omnistore.core.middleware.ApiNotFoundMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "omnistore.core.middleware.CommonMiddleware",  # Django's; no slash added in /api/
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # an admin action over ids that are not the list's keys, or a list filtered by
    # an impossible year: back to the list with a message
    "omnistore.core.middleware.AdminListInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "omnistore.staff.middleware.StaffVaryMiddleware",  # page or fragment: Vary
]

ROOT_URLCONF = "omnistore.urls"
WSGI_APPLICATION = "omnistore.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "omnistore.staff.context_processors.staff",
            ],
            "libraries": {"sent_once": "omnistore.staff.once"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# SQLite (the demo): a transaction takes the write lock when it begins, so a second
# writer waits for it (up to ``timeout`` seconds) instead of failing with "database is
# locked" when its read turns into a write; readers do not wait for writers (WAL).
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with the health check of a kept connection (SELECT 1) made
    # only when it sat unused for DB_HEALTH_CHECK_AFTER_IDLE seconds: that is when kept
    # connections break, and a busy worker saves a round trip per request.
    DATABASES["default"]["ENGINE"] = "omnistore.core.postgresql"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", True)
    DATABASES["default"]["HEALTH_CHECK_AFTER_IDLE"] = float(
        os.environ.get("DB_HEALTH_CHECK_AFTER_IDLE", "5")
    )
    if env_bool("DB_SERVER_SIDE_BINDING", True):
        # Parameters travel apart from the SQL, and a statement a connection has run
        # five times is prepared: PostgreSQL stops parsing and planning it again (half
        # its CPU in a checkout). Set DB_SERVER_SIDE_BINDING=0 behind a PgBouncer in
        # transaction mode older than 1.21 (no prepared statements there).
        DATABASES["default"]["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": int(os.environ.get("DB_PREPARE_THRESHOLD", "5")),
        }
    # Fail fast instead of queueing behind a lock: a request waiting on a locked row
    # gives up after DB_LOCK_TIMEOUT_MS and answers a JSON 503 with Retry-After; no
    # statement runs longer than DB_STATEMENT_TIMEOUT_MS (below gunicorn's --timeout,
    # so the answer is ours, not a killed worker's); a transaction left open and idle
    # is ended by the server. 0 switches one off (a long report or ledger check).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(
        f"-c {name}={int(os.environ.get(variable, default))}"
        for name, variable, default in (
            ("lock_timeout", "DB_LOCK_TIMEOUT_MS", "2000"),
            ("statement_timeout", "DB_STATEMENT_TIMEOUT_MS", "20000"),
            (
                "idle_in_transaction_session_timeout",
                "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                "60000",
            ),
        )
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "staff:login"

LANGUAGE_CODE = "en"
# Dates typed by hand are day first, as in the shops (omnistore/formats/en).
FORMAT_MODULE_PATH = ["omnistore.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Rome")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded product images and their thumbnails (served by nginx in production, by
# runserver in development: see docs/operations.md).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# --- Product images -------------------------------------------------------
# Thumbnails are made once, when an image is uploaded, at each named size below; pages
# and the API link them by name without asking the database (inventory/images.py).
# What an upload may be: OMNISTORE_IMAGE_* in ``features``.
THUMBNAIL_ALIASES = {
    "": {
        "thumb": {"size": (96, 96), "crop": "smart"},
        "card": {"size": (320, 320), "crop": "smart"},
        "large": {"size": (960, 960), "crop": False},
    }
}
THUMBNAIL_SUBDIR = "thumbs"
# A thumbnail's name, hence its link, follows from the source's name alone, never
# from its pixels: PNG and WebP pictures keep their format (and their transparency);
# any other is a JPEG, a see-through one too (the links are built without looking at
# the picture, so a transparent one may not be written under another name).
THUMBNAIL_PRESERVE_EXTENSIONS = ("png", "webp")
THUMBNAIL_EXTENSION = "jpg"
THUMBNAIL_TRANSPARENCY_EXTENSION = THUMBNAIL_EXTENSION

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
# The mail server (production: a relay with a login, over TLS), or a directory the
# file backend writes to (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "20"))
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Omnistore <hello@omnistore.local>"
)

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token, refused once older than OMNISTORE_API_TOKEN_MAX_AGE_DAYS
        "omnistore.core.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "omnistore.core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "omnistore.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "omnistore.core.api.exception_handler",
    # DRF's parsers, refusing what no column can hold and JSON nested too deep.
    "DEFAULT_PARSER_CLASSES": [
        "omnistore.core.parsers.JSONParser",
        "omnistore.core.parsers.FormParser",
        "omnistore.core.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "omnistore.core.negotiation.ContentNegotiation",
    "DEFAULT_THROTTLE_CLASSES": ["omnistore.core.throttling.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "600/minute"),
        "user": os.environ.get("THROTTLE_USER", "3000/minute"),
        # Gift card balance checks, per caller: numbers cannot be tried in bulk.
        "gift_card": os.environ.get("THROTTLE_GIFT_CARD", "30/minute"),
        # Product views (POST /events/, up to 50 a request) per signed-in customer or
        # address: the app sends a batch every few seconds at most.
        "browse": os.environ.get("THROTTLE_BROWSE", "120/minute"),
        # Appointments: free slots asked for, and bookings made, per caller.
        "appointment_slots": os.environ.get("THROTTLE_APPOINTMENT_SLOTS", "120/minute"),
        "appointment_booking": os.environ.get(
            "THROTTLE_APPOINTMENT_BOOKING", "20/hour"
        ),
        # Guesses: passwords per address and login; verification codes asked for and
        # tried per login and address (on top of the limits kept in the database).
        "sign_in": os.environ.get("THROTTLE_SIGN_IN", "20/minute"),
        # Per client address alone, whatever the email: sign-ins and password resets
        # set (one password tried on many accounts); sign-ups and reset links asked
        # for (each may mail someone, and tell whether an email has an account).
        "sign_in_client": os.environ.get("THROTTLE_SIGN_IN_CLIENT", "30/minute"),
        "sign_up_client": os.environ.get("THROTTLE_SIGN_UP_CLIENT", "30/hour"),
        # Password reset links mailed to one email, whoever asks.
        "password_reset": os.environ.get("THROTTLE_PASSWORD_RESET", "5/hour"),
        "verification": os.environ.get("THROTTLE_VERIFICATION", "20/minute"),
        # Current passwords tried by a signed-in login changing its password.
        "password_change": os.environ.get("THROTTLE_PASSWORD_CHANGE", "10/hour"),
        # What lands in a person's inbox: messages to an associate, wishlist shares
        # by email, per customer.
        "customer_message": os.environ.get("THROTTLE_CUSTOMER_MESSAGE", "20/hour"),
        "wishlist_share": os.environ.get("THROTTLE_WISHLIST_SHARE", "30/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Omnistore storefront API",
    "DESCRIPTION": "One customer, one stock, one order book, every channel.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies are documented as JSON, what the storefront sends; the form
    # parsers stay for the browsable API and the test client.
    "PARSER_WHITELIST": ["omnistore.core.parsers.JSONParser"],
    "ENUM_NAME_OVERRIDES": {
        "SalesChannelEnum": "customers.models.Channel",
        "ConsentChannelEnum": "customers.models.ConsentChannel",
        "MessageChannelEnum": "customers.models.MessageChannel",
        "ChannelEnum": ["web", "app"],  # the online channels a client names
        "AppointmentKindEnum": "customers.models.AppointmentKind",
        "AppointmentStatusEnum": "customers.models.AppointmentStatus",
        # Named before appointments shared their field names ("status", "channel").
        "StatusEnum": "orders.models.OrderStatus",
        # A gift card's status now: its balance check and the orders that sold it.
        "GiftCardStatusEnum": "orders.selectors.giftcards.CARD_STATUS_LABELS",
    },
}

# --- Celery ---------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0}
# How often beat drains the outbox (what a lost kick or a broker outage left behind).
OMNISTORE_OUTBOX_DRAIN_EVERY = float(
    os.environ.get("OMNISTORE_OUTBOX_DRAIN_EVERY", "30")
)
CELERY_BEAT_SCHEDULE = {
    "drain-outbox": {
        "task": "omnistore.core.tasks.drain_outbox",
        "schedule": OMNISTORE_OUTBOX_DRAIN_EVERY,
    },
    "orders-pickup-reminders": {
        "task": "orders.tasks.send_pickup_reminders",
        "schedule": 3600.0,
    },
    "orders-expire-pickups": {
        "task": "orders.tasks.expire_uncollected_pickups",
        "schedule": 3600.0,
    },
    "orders-presume-deliveries": {
        "task": "orders.tasks.presume_deliveries",
        "schedule": 3600.0,
    },
    "orders-send-e-gift-cards": {
        "task": "orders.tasks.send_e_gift_cards",
        "schedule": 900.0,
    },
    "orders-expire-gift-cards": {
        "task": "orders.tasks.expire_gift_cards",
        "schedule": 3600.0,
    },
    "orders-expire-store-credit": {
        "task": "orders.tasks.expire_store_credit",
        "schedule": 3600.0,
    },
    "orders-release-unclaimed-payments": {
        "task": "orders.tasks.release_unclaimed_payments",
        "schedule": 300.0,
    },
}

# Webhook calls wait on other people's servers: they have a queue of their own, served
# by a worker of its own (docs/operations.md), so a slow subscriber delays no receipt.
CELERY_TASK_ROUTES = {
    "omnistore.core.webhooks.deliver_webhooks": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE["deliver-webhooks"] = {
    "task": "omnistore.core.webhooks.deliver_webhooks",
    "schedule": OMNISTORE_OUTBOX_DRAIN_EVERY,
}
# The features' periodic work (their settings are in ``features``).
CELERY_BEAT_SCHEDULE.update(
    {
        "customers-client-tasks": {
            "task": "customers.tasks.generate_client_tasks",
            "schedule": 3600.0 * 6,
        },
        "campaigns-send-due": {
            "task": "campaigns.tasks.send_due_campaigns",
            "schedule": 30.0,
        },
        "campaigns-run-automations": {
            "task": "campaigns.tasks.run_automations",
            "schedule": 900.0,
        },
        "campaigns-attribute-orders": {
            "task": "campaigns.tasks.attribute_recent_orders",
            "schedule": 600.0,
        },
        "customers-drain-browse-events": {
            "task": "customers.tasks.drain_browse_events",
            "schedule": OMNISTORE_BROWSE_DRAIN_EVERY,
        },
        "approvals-expire": {
            "task": "omnistore.approvals.tasks.expire_approvals",
            "schedule": 60.0,
        },
        "inventory-low-stock": {
            "task": "inventory.tasks.sweep_low_stock",
            "schedule": 300.0,
        },
        "inventory-lapse-stale-asks": {
            "task": "inventory.tasks.lapse_stale_asks",
            "schedule": 3600.0,
        },
        "customers-forget-verification-codes": {
            "task": "customers.tasks.forget_verification_codes",
            "schedule": 3600.0,
        },
        "appointments-send-reminders": {
            "task": "customers.tasks.send_appointment_reminders",
            "schedule": 600.0,
        },
    }
)
# Beat's schedule file (last run of each entry): keep it on a persistent path, or a
# fresh one on every start runs each entry at once (omnistore.core.beat).
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get(
    "CELERY_BEAT_SCHEDULE_FILENAME", "celerybeat-schedule"
)
CELERY_BEAT_SCHEDULER = "omnistore.core.beat:Scheduler"

# Where product views wait between the request and the drain (customers.services.
# browsing): a Redis list (one RPUSH per request) at this URL, default REDIS_URL;
# without Redis each request's batch is written by one INSERT instead (development,
# tests).
OMNISTORE_BROWSE_BUFFER_URL = os.environ.get("OMNISTORE_BROWSE_BUFFER_URL", REDIS_URL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Django's own console handler would print each of its records a second time
    # (they reach the root's handler as well): the root's handler alone prints them.
    "loggers": {"django": {"handlers": []}},
}

# --- Client address and shared rate-limit state --------------------------
# How many reverse proxies of our own stand in front of Django. Each appends the
# address it saw to X-Forwarded-For; the client's is that many hops from the right.
# 0: the header is ignored (anyone can write it) and REMOTE_ADDR is the client.
OMNISTORE_TRUSTED_PROXIES = int(os.environ.get("OMNISTORE_TRUSTED_PROXIES", "0"))
REST_FRAMEWORK["NUM_PROXIES"] = OMNISTORE_TRUSTED_PROXIES  # DRF's own throttles too
# Rate-limit counts live in the cache: with Redis, every process and server counts
# together; in process memory, each process keeps its own count. A Redis that does
# not answer within the socket timeouts is skipped for OMNISTORE_CACHE_PAUSE seconds
# (omnistore/core/cache.py): the site goes on, the guards against guessing answer 503.
CACHE_URL = os.environ.get("CACHE_URL", REDIS_URL)
CACHES = {
    "default": (
        {
            "BACKEND": "omnistore.core.cache.SharedRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "omnistore",
            "OPTIONS": {
                "socket_connect_timeout": env_float("CACHE_CONNECT_TIMEOUT", 0.25),
                "socket_timeout": env_float("CACHE_TIMEOUT", 0.5),
            },
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Staff and admin sign-in lockout (django-axes) ------------------------
# A username is refused from one address after OMNISTORE_LOGIN_FAILURE_LIMIT failed
# sign-ins, for OMNISTORE_LOGIN_LOCKOUT_MINUTES; HQ unlocks in the admin.
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = [
    "omnistore.staff.lockout.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("OMNISTORE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(
    minutes=int(os.environ.get("OMNISTORE_LOGIN_LOCKOUT_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "omnistore.core.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "omnistore.staff.lockout.locked_out"
# Masked in an attempt's recorded form data ("password" always is): the passwords
# typed at *Change password* (a wrong current one counts as a failed sign-in too), and
# every form's CSRF token, there a signed-in login's, good for that session's forms to
# whoever reads the record.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
    "csrfmiddlewaretoken",
]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last: it turns a refusal into a page

# --- Staff sessions: a working day at most, and idle time ----------------
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "omnistore.staff.sessions.StaffSessionMiddleware",
)
OMNISTORE_STAFF_SESSION_HOURS = float(
    os.environ.get("OMNISTORE_STAFF_SESSION_HOURS", "10")
)
OMNISTORE_STAFF_IDLE_MINUTES = float(
    os.environ.get("OMNISTORE_STAFF_IDLE_MINUTES", "30")
)

# --- Content Security Policy on the staff and admin pages (django-csp) ----
# Scripts come from our own static files only: no inline <script>, no on* attribute,
# no eval (htmx is configured without them in templates/base.html). Templates still
# carry a few <style> blocks, so inline styles are allowed. The API (JSON, and its
# Swagger page) and the tracking links are left out.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/", "/t/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}


# --- A read replica (streaming) -------------------------------------------
# DATABASE_REPLICA_URL adds the "replica" alias, the primary's settings with the
# replica's address. Only reads marked in omnistore.core.replica go there; a client
# that wrote stays on the primary for OMNISTORE_REPLICA_PIN_SECONDS; a replica that
# fails is left alone for OMNISTORE_REPLICA_RETRY_SECONDS. Without it: one database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    _replica = dj_database_url.parse(DATABASE_REPLICA_URL)
    DATABASES["replica"] = {
        **DATABASES["default"],
        **{key: _replica[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
    }
OMNISTORE_READ_REPLICA = "replica" if DATABASE_REPLICA_URL else ""
OMNISTORE_REPLICA_PIN_SECONDS = int(
    os.environ.get("OMNISTORE_REPLICA_PIN_SECONDS", "10")
)
OMNISTORE_REPLICA_RETRY_SECONDS = float(
    os.environ.get("OMNISTORE_REPLICA_RETRY_SECONDS", "5")
)
DATABASE_ROUTERS = ["omnistore.core.replica.PrimaryReplicaRouter"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "omnistore.core.replica.ReadYourWritesMiddleware",
)

# --- Audit trail of admin changes (django-simple-history) -----------------
# Models registered in their app keep each change with who made it (the request's
# user); the admin's history page lists them. Reverting is off: the services own the
# rows' moves, an old version is only looked at.
INSTALLED_APPS += ["simple_history"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
    "simple_history.middleware.HistoryRequestMiddleware",
)
SIMPLE_HISTORY_REVERT_DISABLED = True
