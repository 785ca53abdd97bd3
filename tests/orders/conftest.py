import pytest
from django.core import mail
from django.core.cache import cache

from orders.payments.registry import get_provider
from tests.fakes.stripe_server import FakeStripe
from tests.orders.factories import in_francs, shop, stocked


@pytest.fixture(autouse=True)
def _clean_outbox_side_effects():
    mail.outbox = []
    yield


@pytest.fixture
def fresh_cache():
    """Wrong gift card PINs and throttles are counted in the cache: none at the start of
    a test, none left after it."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def zurich():
    """A shop of the Swiss market: it sells in francs."""
    return shop(code="ZH01", name="Zürich Bahnhofstrasse", country="CH")


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Duomo", country="IT")


@pytest.fixture
def franc_shirt(zurich):
    """A shirt on Zürich's shelves: 59.90 EUR in the catalogue, 62.90 CHF there."""
    return in_francs(stocked(zurich, 5, price="59.90", sku="WSH-WHT-M"), "62.90")


@pytest.fixture
def provider():
    return get_provider("test")


WEBHOOK_SECRET = "whsec_fake_for_tests"


@pytest.fixture
def fake_stripe(settings):
    """Production-like payments: the Stripe adapter, pointed at a local fake Stripe,
    and the test provider refused."""
    fake = FakeStripe().start()
    settings.OMNISTORE_PAYMENT_PROVIDER = "stripe"
    settings.OMNISTORE_PAYMENT_TEST_PROVIDER_ALLOWED = False
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    settings.STRIPE_TIMEOUT = 5
    yield fake
    fake.stop()
