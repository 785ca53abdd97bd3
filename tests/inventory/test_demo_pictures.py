"""The demo's pictures: drawn with Pillow for the hand-made catalog, one per product
and one per further colour, each a real stored image with its thumbnails."""

import pytest
from django.core.files.storage import default_storage

from inventory.demo.catalog import STYLES
from inventory.demo.pictures import draw_picture, seed_pictures
from inventory.images import image_urls, validate_product_image
from inventory.models import Product, ProductImage
from tests.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.inventory.image_helpers import upload

pytestmark = pytest.mark.django_db


def test_a_drawn_picture_is_an_image_an_upload_may_be():
    content = draw_picture(
        name="Merino crew-neck jumper", kind="knitwear", colour="Navy", sizes=["S", "M"]
    )
    validate_product_image(upload("jumper.jpg", content))  # raises if not


def test_each_catalog_product_gets_one_picture_per_colour_once():
    knitwear = CategoryFactory(slug="women-knitwear", name="Knitwear")
    product = ProductFactory(name=STYLES[4].name, category=knitwear)
    navy = [VariantFactory(product=product, colour="Navy", size=s) for s in "SML"]
    camel = VariantFactory(product=product, colour="Camel", size="M")
    ProductFactory(name="Not in the catalog")

    assert seed_pictures() == 2
    assert seed_pictures() == 0  # a second run draws none

    face, colour = ProductImage.objects.order_by("position")
    assert (face.variant, colour.variant) == (None, camel)
    assert face.alt_text == f"{product.name} in navy" and navy
    assert all(
        default_storage.exists(url.removeprefix("/media/"))
        for url in image_urls(colour.image).values()
    )
    assert Product.objects.filter(images__isnull=True).count() == 1


def test_an_accessory_is_drawn_as_what_its_name_says():
    """A beret is no bag: the bag's handle is drawn above the bag only."""
    from io import BytesIO

    from PIL import Image

    def dark(name: str, point: tuple[int, int]) -> bool:
        content = draw_picture(
            name=name, kind="accessories", colour="Black", sizes=["OS"]
        )
        image = Image.open(BytesIO(content)).convert("RGB")
        return sum(image.getpixel(point)) < 300

    handle, corner = (240, 125), (120, 455)  # the bag's handle, its lower corner
    assert dark("Leather tote bag", handle) and dark("Leather tote bag", corner)
    assert not dark("Wool beret", handle) and not dark("Wool beret", corner)
    assert not dark("Silk foulard", corner)
