"""The API's schema and docs: open in development, the demo and the tests; in
production only signed-in staff see them, and anyone else is told they do not exist."""

import pytest

from omnistore.accounts.models import Role
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
PAGES = ["/api/schema/", "/api/docs/"]


@pytest.fixture
def production(settings):
    settings.OMNISTORE_API_DOCS_PUBLIC = False


@pytest.mark.parametrize("path", PAGES)
def test_anyone_reads_the_docs_outside_production(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_in_production_anonymous_visitors_get_not_found(client, production, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_in_production_a_customer_gets_not_found(client, production, path):
    client.force_login(UserFactory(role=Role.CUSTOMER))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_in_production_staff_read_the_docs(client, production, path):
    client.force_login(StaffFactory())
    assert client.get(path).status_code == 200
