"""The development settings never run a real deployment.

They carry a public secret key, DEBUG on and no HTTPS protections, and ``manage.py``,
``wsgi.py`` and Celery fall back to them when ``DJANGO_SETTINGS_MODULE`` is unset. A
server that says it is production (``OMNISTORE_ENV=production``) or turns DEBUG off
has forgotten to choose the production settings: refuse to start, and say why.
"""

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT = "omnistore.settings.dev"
TRUE = {"1", "true", "yes", "on"}


def refuse_development_settings(environ: Mapping[str, str]) -> None:
    """Raise ``ImproperlyConfigured`` when ``environ`` picks the development settings
    on what looks like a production server."""
    if environ.get("DJANGO_SETTINGS_MODULE", DEVELOPMENT) != DEVELOPMENT:
        return
    reasons = []
    if environ.get("OMNISTORE_ENV", "").strip().lower() == "production":
        reasons.append("OMNISTORE_ENV=production")
    debug = environ.get("DEBUG")
    if debug is not None and debug.strip().lower() not in TRUE:
        reasons.append(f"DEBUG={debug}")
    if reasons:
        raise ImproperlyConfigured(
            f"Refusing to run with the development settings ({DEVELOPMENT}) while "
            f"{' and '.join(reasons)}: set DJANGO_SETTINGS_MODULE="
            "omnistore.settings.production (or unset those variables on a laptop)."
        )
