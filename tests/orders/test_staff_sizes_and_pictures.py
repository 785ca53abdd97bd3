"""The shop floor sees what the customer takes and what the items look like: the
attached customer's sizes at the counter and on their page, and a picture beside
each line of the basket, the stock lookup and the wishlists."""

import pytest
from django.urls import reverse

from customers.models import Channel
from customers.services.sizes import state_size
from customers.services.wishlists import add_wishlist_item
from inventory.images import image_urls
from tests.customers.factories import make_customer
from tests.factories import CategoryFactory, ProductFactory, StaffFactory, stock
from tests.inventory.image_helpers import picture
from tests.orders.factories import deliver_outbox, shop, variant
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def jumper(store):
    women = CategoryFactory(slug="women", name="Women")
    knitwear = CategoryFactory(slug="women-knitwear", name="Knitwear", parent=women)
    item = variant(
        product=ProductFactory(name="Merino jumper", category=knitwear),
        sku="KN-NVY-M",
        size="M",
        colour="Navy",
    )
    stock(item, store, 5)
    return item


@pytest.fixture
def regular(store, associate, jumper):
    customer = make_customer(phone="3331234567", first_name="Pia")
    counter_sale(store=store, lines=[(jumper, 1)], staff=associate, customer=customer)
    deliver_outbox()
    return customer


def test_the_counter_shows_the_attached_customers_sizes(staff, regular):
    state_size(customer=regular, category="women-knitwear", size="L")
    shoes = CategoryFactory(slug="men-shoes", name="Shoes")
    state_size(customer=regular, category=shoes.slug, size="42")

    response = staff.post(
        reverse("staff:sale_customer"),
        {"kind": "phone", "value": "+39 333 1234567"},
        **HTMX,
    )

    html = response.content.decode()
    assert 'data-testid="sale-sizes"' in html
    assert "Takes L in Knitwear (Women)" in html
    assert "Takes 42 in Shoes" in html
    page = staff.get(reverse("staff:sale")).content.decode()
    assert "Takes L in Knitwear (Women)" in page


def test_no_sizes_without_a_known_customer(staff):
    response = staff.post(
        reverse("staff:sale_customer"),
        {"kind": "phone", "value": "+39 333 7654321", "first_name": "New"},
        **HTMX,
    )
    assert 'data-testid="sale-sizes"' not in response.content.decode()


def test_the_customer_page_shows_learned_sizes(staff, regular):
    html = staff.get(reverse("staff:customer_detail", args=[regular.pk])).content
    html = html.decode()
    assert "Size · Knitwear (Women)" in html
    assert "learned from 1 kept" in html


def test_pictures_beside_basket_lookup_and_wishlist_lines(staff, jumper, regular):
    image = picture(jumper.product, variant=jumper)
    thumb = image_urls(image.image)["thumb"]
    add_wishlist_item(customer=regular, variant=jumper, channel=Channel.WEB)

    staff.post(reverse("staff:sale_add"), {"code": jumper.sku}, **HTMX)
    basket = staff.get(reverse("staff:sale")).content.decode()
    lookup = staff.get(reverse("staff:stock_lookup"), {"q": "merino"}, **HTMX)
    item_page = staff.get(reverse("staff:stock_variant", args=[jumper.pk]))
    wishlists = staff.get(reverse("staff:customer_wishlists", args=[regular.pk]))
    profile = staff.get(reverse("staff:customer_detail", args=[regular.pk]))

    for html in (basket, lookup, item_page, wishlists, profile):
        html = html if isinstance(html, str) else html.content.decode()
        assert f'src="{thumb}"' in html or image_urls(image.image)["card"] in html
        assert 'alt="Merino jumper"' in html
