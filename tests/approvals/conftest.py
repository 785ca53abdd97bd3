import pytest

from omnistore.accounts.models import Role
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import shop as make_shop


@pytest.fixture
def store():
    return make_shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(
        store=store, username="giulia", first_name="Giulia", last_name="Bianchi"
    )


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(
            store=store,
            role=Role.STORE_MANAGER,
            username="marco",
            first_name="Marco",
            last_name="Rossi",
        ),
        pin="2468",
    )
