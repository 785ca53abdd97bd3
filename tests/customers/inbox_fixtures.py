"""Shared set-up for the messages tests: a shop, its associates and manager, and a
customer with an item an associate added to their wishlist."""

import pytest

from customers.models import CustomerIdentity, IdentityKind
from customers.services.consents import set_consent
from customers.services.wishlists import add_wishlist_item
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory
from tests.factories import LocationFactory, StaffFactory, VariantFactory


@pytest.fixture
def shop():
    return LocationFactory(name="Milano Centro")


@pytest.fixture
def other_shop():
    return LocationFactory(name="Torino Roma")


@pytest.fixture
def associate(shop):
    return StaffFactory(first_name="Giulia", last_name="Bianchi", store=shop)


@pytest.fixture
def colleague(shop):
    return StaffFactory(first_name="Paolo", last_name="Verdi", store=shop)


@pytest.fixture
def manager(shop):
    return StaffFactory(
        first_name="Marta", last_name="Neri", store=shop, role=Role.STORE_MANAGER
    )


@pytest.fixture
def other_manager(other_shop):
    return StaffFactory(
        first_name="Luca", last_name="Gallo", store=other_shop, role=Role.STORE_MANAGER
    )


@pytest.fixture
def shopper():
    user = CustomerUserFactory(first_name="Martina", last_name="Ferrari")
    customer = user.customer_profile
    customer.phone = "+393471234567"
    customer.save(update_fields=["phone"])
    # Both proven with the codes sent there: replies may go to them.
    customer.identities.update(verified=True)
    CustomerIdentity.objects.create(
        customer=customer, kind=IdentityKind.PHONE, value=customer.phone, verified=True
    )
    return user


@pytest.fixture
def customer(shopper):
    return shopper.customer_profile


@pytest.fixture
def blazer():
    return VariantFactory(sku="BLZ-40", product__name="Blazer", price="129.00")


@pytest.fixture
def item(customer, associate, blazer):
    return add_wishlist_item(
        customer=customer, variant=blazer, actor=associate, channel=Channel.STORE
    ).item


def consent(customer, channel: str, granted: bool = True):
    set_consent(
        customer=customer,
        channel=channel,
        granted=granted,
        source_channel=Channel.WEB,
    )
