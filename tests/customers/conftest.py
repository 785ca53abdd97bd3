import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_sign_in_throttle():
    """Sign-in attempts are counted in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()
