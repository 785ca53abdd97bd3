"""Whatever a customer, or an associate for them, writes to a profile that was erased
is refused the same way, 409 ``profile_erased``, and leaves nothing behind."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import (
    ClientTask,
    Customer,
    CustomerEvent,
    Message,
    StaffNote,
    Wishlist,
    WishlistItem,
)
from customers.services.clientbook import assign_associate
from customers.services.erasure import erase_customer
from customers.services.inbox import send_customer_message
from customers.services.profiles import update_profile
from customers.services.sizes import state_size
from customers.services.tasks import create_manual_task
from customers.services.timeline import add_note
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


def test_a_staff_note_or_a_task_about_an_erased_profile_is_refused_alike():
    """Staff write notes and tasks about a person: once the person is erased, there
    is nobody left to write about."""
    customer = make_customer(email="gone@example.com", first_name="Eva")
    associate = StaffFactory()
    erase_customer(customer=customer)
    events = CustomerEvent.objects.filter(customer=customer).count()

    codes = {
        "note": refusal(
            lambda: add_note(customer=customer, text="Likes linen", actor=associate)
        ),
        "task": refusal(
            lambda: create_manual_task(
                customer=customer,
                title="Call about the coat",
                due_on=timezone.localdate() + dt.timedelta(days=2),
                actor=associate,
                shop=associate.store,
            )
        ),
    }

    assert codes == dict.fromkeys(codes, "profile_erased")
    assert not StaffNote.objects.filter(customer=customer).exists()
    assert not ClientTask.objects.filter(customer=customer).exists()
    assert CustomerEvent.objects.filter(customer=customer).count() == events
