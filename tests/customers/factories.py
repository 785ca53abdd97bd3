"""Factories for customer profiles; profiles are made through the real services."""

import factory

from customers.models import Customer
from customers.services.matching import match_customer
from omnistore.core.channels import Channel
from tests.factories import UserFactory


def make_customer(
    *,
    email=None,
    phone=None,
    first_name="Giulia",
    last_name="Bianchi",
    channel=Channel.WEB,
    location=None,
    user=None,
) -> Customer:
    """A profile created the way every channel creates one: by matching identities."""
    return match_customer(
        email=email,
        phone=phone,
        user=user,
        first_name=first_name,
        last_name=last_name,
        channel=channel,
        location=location,
    )


class CustomerUserFactory(UserFactory):
    """A storefront login with its own profile (as registration makes it)."""

    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"shopper{n}@example.com")
    email = factory.LazyAttribute(lambda u: u.username)

    @factory.post_generation
    def profile(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook
        if create:
            obj.save()  # keeps the password set by the parent factory
            match_customer(
                email=obj.email,
                user=obj,
                first_name=obj.first_name,
                last_name=obj.last_name,
                channel=Channel.WEB,
            )
