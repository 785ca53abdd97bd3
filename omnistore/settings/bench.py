"""The checkout benchmark: production settings with the test payment provider, so a run
measures this code and not a payment gateway (the benchmark machine reaches none).
Never deploy with it: ``manage.py check --deploy`` still lists the test provider."""

import os

from .production import *  # noqa: F403

OMNISTORE_PAYMENT_PROVIDER = "test"
# The site's URLs and the benchmark's floor (omnistore/urls_bench.py).
ROOT_URLCONF = "omnistore.urls_bench"
OMNISTORE_PAYMENT_TEST_PROVIDER_ALLOWED = True
# A throwaway stack: seeded with the demo's data and logins.
OMNISTORE_DEMO_DATA_ALLOWED = True

# The local cluster (bench/cluster.py) writes emails to files it counts.
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
