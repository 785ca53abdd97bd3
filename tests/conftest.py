import os

import pytest
from django.db import connection

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # live_server + Playwright page

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need real row locks; on SQLite they are skipped.
    Tests marked ``cluster`` need the running local cluster (``make cluster-test``)."""
    _skip_cluster_tests_without_a_cluster(items)
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (run by `make test` on a throwaway cluster)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _skip_cluster_tests_without_a_cluster(items):
    folder = os.environ.get("OMNISTORE_CLUSTER_DIR", "")
    if folder and os.path.exists(os.path.join(folder, "state.json")):
        return
    skip = pytest.mark.skip(reason="needs the local cluster (make cluster-test)")
    for item in items:
        if "cluster" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def tax_table_kept(settings, db):
    """Markets and VAT rates kept by the process as deployed (the test settings read
    them every time), read once beforehand: what a page or a checkout costs in
    production."""
    from inventory.markets import forget_tax_table, tax_table

    settings.OMNISTORE_TAX_TABLE_TTL = 60
    forget_tax_table()
    tax_table()
    yield
    forget_tax_table()


@pytest.fixture(autouse=True, scope="session")
def staff_sign_in_receiver():
    """A server loads its middleware, and with it the receiver that starts a staff
    member's working day at sign-in, before any request; the test client only at its
    first request. Loaded here, a ``force_login`` before any request is a sign-in as
    in production, whatever ran first."""
    import omnistore.staff.sessions  # noqa: F401
