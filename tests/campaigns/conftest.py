import pytest
from django.core import mail

from campaigns.backends import MemoryBackend


@pytest.fixture(autouse=True)
def memory_backends(settings):
    """SMS and push go to the in-memory backend; email to Django's locmem outbox."""
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    settings.OMNISTORE_PUSH_BACKEND = "campaigns.backends.MemoryBackend"
    settings.OMNISTORE_SITE_URL = "https://shop.example.com"
    settings.OMNISTORE_STOREFRONT_URL = "https://shop.example.com"
    MemoryBackend.reset()
    mail.outbox = []
    yield MemoryBackend
    MemoryBackend.reset()
