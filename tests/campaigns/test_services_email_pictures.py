"""The emails about products show their pictures: the abandoned cart's lines, the
item back in stock, a shared wishlist — absolute links on OMNISTORE_SITE_URL, in the
HTML part."""

import pytest
from django.core import mail

from campaigns.services.automations import run_automations
from customers.models import Channel
from customers.services.wishlists import share_wishlist_by_email
from inventory.images import image_urls
from tests.campaigns.factories import Shop, grant, person
from tests.campaigns.test_services_automations import (
    abandoned_cart_automation,
    cart_with,
)
from tests.campaigns.test_services_wishlist_automations import (
    back_in_stock,
    later,
    receive,
    wish,
)
from tests.factories import VariantFactory, WarehouseFactory, stock
from tests.inventory.image_helpers import picture
from tests.orders.factories import deliver_outbox

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.org"


@pytest.fixture(autouse=True)
def site(settings):
    settings.OMNISTORE_SITE_URL = SITE


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(call, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(**kwargs)

    return run


def html_of(email) -> str:
    [(html, kind)] = email.alternatives
    assert kind == "text/html"
    return html


def card_url(image) -> str:
    return SITE + image_urls(image.image)["card"]


def test_an_abandoned_cart_email_shows_each_lines_picture():
    shop = Shop()
    shirt = VariantFactory(product__name="Linen shirt", colour="Navy")
    stock(shirt, shop.warehouse, 5)
    navy = picture(shirt.product, variant=shirt)
    plain = VariantFactory(product__name="Plain tee")  # no picture: none shown
    stock(plain, shop.warehouse, 5)
    ada = person("Ada")
    grant(ada, "email")
    cart_with(ada, shirt, hours_ago=5)
    cart_with(ada, plain, hours_ago=5)
    abandoned_cart_automation()

    run_automations()

    [email] = mail.outbox
    html = html_of(email)
    assert f'<img src="{card_url(navy)}" alt="Linen shirt (Navy / M)"' in html
    assert html.count("<img ") == 2  # the picture and the open pixel
    assert card_url(navy) not in email.body  # the text part stays as written


def test_a_back_in_stock_email_shows_the_items_picture(committed):
    shirt = VariantFactory(product__name="Linen shirt")
    image = picture(shirt.product)
    ada = person("Ada")
    grant(ada, "email")
    wish(ada, shirt)
    back_in_stock()

    receive(committed, shirt, WarehouseFactory(), 5)
    run_automations()  # the restock is noticed, and waits
    run_automations(now=later())

    [email] = mail.outbox
    assert card_url(image) in html_of(email)
    assert card_url(image).startswith(f"{SITE}/media/products/{shirt.product_id}/")


def test_a_shared_wishlist_email_shows_the_pictures(committed):
    shirt = VariantFactory(product__name="Linen shirt")
    image = picture(shirt.product)
    ada = person("Ada")
    item = wish(ada, shirt)

    with_pictures = share_wishlist_by_email(
        wishlist=item.wishlist_id, email="friend@example.com", channel=Channel.WEB
    )
    deliver_outbox()

    assert with_pictures
    [email] = mail.outbox
    html = html_of(email)
    assert f'src="{card_url(image)}"' in html
    assert "Linen shirt" in html and "Linen shirt" in email.body
