"""The WSGI entry point as gunicorn loads it."""

import subprocess
import sys

from django.conf import settings


def test_loading_the_wsgi_application_freezes_what_it_loaded_out_of_full_gc_passes():
    probe = (
        "import gc; assert gc.get_freeze_count() == 0; "
        "import omnistore.wsgi; print(gc.get_freeze_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout) > 10_000
