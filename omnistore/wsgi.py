import gc
import os

from django.core.wsgi import get_wsgi_application

from omnistore.settings.guard import refuse_development_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnistore.settings.dev")
refuse_development_settings(os.environ)  # a server never runs the development settings
application = get_wsgi_application()

# What is loaded by now (settings, apps, models) lives as long as the process. Frozen,
# it is left out of the garbage collector's full passes, which then scan only what
# requests leave behind: a few ms instead of tens, spent on some request's clock.
gc.freeze()
