"""Demo wishlists: the demo customer sees, through the API, the piece their associate
added in the shop beside their own; each associate built lists with clients; a
second run changes nothing."""

from io import StringIO

import pytest
from rest_framework.test import APIClient

from customers import demo
from customers.demo_clientbook import seed_client_book
from customers.demo_wishlists import seed_wishlists
from customers.models import Wishlist, WishlistItem
from inventory.demo import seed_inventory
from omnistore.accounts.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    seed_inventory(scale=1)
    demo.seed_customers(scale=1)
    seed_client_book()
    out = StringIO()
    return seed_wishlists(stdout=out), out.getvalue()


def test_the_demo_customer_sees_what_their_associate_added(seeded):
    user = User.objects.get(email__iexact="customer@example.com")
    client = APIClient()
    client.force_authenticate(user)

    response = client.get("/api/v1/wishlists/")

    assert response.status_code == 200
    lists = {w["name"]: w["items"] for w in response.json()["results"]}
    assert set(lists) == {"My wishlist", "Summer wedding"}
    by_staff = [i for i in lists["My wishlist"] if i["added_by"]["type"] == "staff"]
    assert [(i["added_by"]["name"], i["added_by"]["store"]) for i in by_staff] == [
        ("Giulia B.", "Milano Duomo")
    ]
    assert by_staff[0]["note"] == "Tried on in the shop: this size fits."
    assert len(lists["My wishlist"]) == 3 and len(lists["Summer wedding"]) == 1


def test_every_associate_built_lists_with_clients_once(seeded):
    counts, printed = seeded
    for associate in User.objects.filter(role=Role.ASSOCIATE):
        items = WishlistItem.objects.filter(added_by_staff=associate)
        assert items.count() >= 4, associate.username
        assert set(items.values_list("added_at_location", flat=True)) == {
            associate.store_id
        }
    assert counts == {
        "wishlists": Wishlist.objects.count(),
        "items": WishlistItem.objects.count(),
    }
    assert "Wishlists:" in printed

    assert seed_wishlists() == {}
    assert WishlistItem.objects.count() == counts["items"]
