"""Whatever a customer, or an associate for them, writes to a profile that was erased
is refused the same way, 409 ``profile_erased``, and leaves nothing behind."""

import pytest

from customers.models import Customer, CustomerEvent, Message, Wishlist, WishlistItem
from customers.services.clientbook import assign_associate
from customers.services.erasure import erase_customer
from customers.services.inbox import send_customer_message
from customers.services.profiles import update_profile
from customers.services.sizes import state_size
from customers.services.wishlists import add_wishlist_item, create_wishlist
from omnistore.core.exceptions import Conflict
from tests.customers.factories import make_customer
from tests.factories import CategoryFactory, StaffFactory, VariantFactory

pytestmark = pytest.mark.django_db


def refusal(write) -> str:
    with pytest.raises(Conflict) as refused:
        write()
    return refused.value.code


def test_every_write_to_an_erased_profile_is_refused_alike():
    customer = make_customer(email="gone@example.com", first_name="Eva")
    CategoryFactory(slug="shoes")
    variant = VariantFactory()
    associate = StaffFactory()
    erase_customer(customer=customer)
    events = CustomerEvent.objects.filter(customer=customer).count()
    customer.refresh_from_db()
    preferences = customer.preferences

    codes = {
        "profile": refusal(
            lambda: update_profile(customer=customer, first_name="Back", channel="web")
        ),
        "size": refusal(
            lambda: state_size(customer=customer, category="shoes", size="42")
        ),
        "new list": refusal(
            lambda: create_wishlist(customer=customer, name="Summer", channel="web")
        ),
        "wish": refusal(
            lambda: add_wishlist_item(customer=customer, variant=variant, channel="web")
        ),
        "client book": refusal(
            lambda: assign_associate(
                customer=customer, associate=associate, actor=associate
            )
        ),
        "message": refusal(
            lambda: send_customer_message(
                customer=customer, body="Hello again", channel="web"
            )
        ),
    }

    assert codes == dict.fromkeys(codes, "profile_erased")
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.first_name != "Back" and customer.preferences == preferences
    assert not Wishlist.objects.filter(customer=customer, name="Summer").exists()
    assert not WishlistItem.objects.filter(wishlist__customer=customer).exists()
    assert not Message.objects.filter(conversation__customer=customer).exists()
    assert customer.assigned_associate_id is None
    assert CustomerEvent.objects.filter(customer=customer).count() == events
