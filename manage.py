#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnistore.settings.dev")
    from django.core.exceptions import ImproperlyConfigured

    try:  # importing omnistore loads Celery's app, which checks the same
        from omnistore.settings.guard import refuse_development_settings

        refuse_development_settings(os.environ)
    except ImproperlyConfigured as refused:
        sys.exit(f"manage.py: {refused}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
