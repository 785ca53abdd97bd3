"""Product images in the public catalog: links to every named size, absolute, the
colour's pictures on each variant, in a fixed number of queries."""

from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from inventory.services.images import add_product_image
from tests.factories import ProductFactory, VariantFactory, WarehouseFactory, stock

from .image_helpers import picture, upload

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_product_lists_its_images_with_absolute_links_per_size(api_client):
    product = ProductFactory(name="Merino jumper")
    navy_s = VariantFactory(product=product, colour="Navy", size="S")
    navy_m = VariantFactory(product=product, colour="Navy", size="M")
    camel = VariantFactory(product=product, colour="Camel", size="S")
    colour_shot = picture(product, variant=navy_s, name="navy.png")
    face = picture(product, name="front.png")
    face.alt_text = "Front view"
    face.save(update_fields=["alt_text"])

    body = api_client.get(f"{PRODUCTS}{product.pk}/").json()

    assert [i["alt"] for i in body["images"]] == ["Front view", "Merino jumper"]
    urls = body["images"][0]["urls"]
    assert set(urls) == {"thumb", "card", "large"}
    for url in urls.values():
        assert url.startswith("http://testserver/media/products/")
    assert urls["thumb"] != urls["card"] != urls["large"]
    assert f"/media/products/{product.pk}/thumbs/front.png." in urls["large"]
    variants = {v["id"]: v for v in body["variants"]}
    navy_url = body["images"][1]["urls"]["card"]
    # One picture of a navy variant shows every navy size; camel has none.
    assert [i["urls"]["card"] for i in variants[navy_s.pk]["images"]] == [navy_url]
    assert [i["urls"]["card"] for i in variants[navy_m.pk]["images"]] == [navy_url]
    assert variants[camel.pk]["images"] == []
    assert colour_shot.variant == navy_s
    assert f"/thumbs/{colour_shot.image.name.rsplit('/', 1)[1]}." in navy_url


def test_image_links_lead_to_the_stored_thumbnails(api_client):
    product = ProductFactory()
    picture(product, size=(500, 300))

    urls = api_client.get(f"{PRODUCTS}{product.pk}/").json()["images"][0]["urls"]

    for url in urls.values():
        assert default_storage.exists(url.split("/media/", 1)[1])


@pytest.mark.parametrize("n", [3, 20])
def test_product_list_with_images_uses_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, n
):
    """Count, page, variants, images and online stock: five queries, whatever the
    number of products and pictures."""
    warehouse = WarehouseFactory()
    for i in range(n):
        product = ProductFactory(name=f"Product {i:03d}")
        variant = VariantFactory(product=product, colour="Navy")
        stock(variant, warehouse, 2)
        picture(product)
        picture(product, variant=variant)

    with django_assert_num_queries(5):
        body = results(api_client.get(PRODUCTS, {"page_size": 100}))

    assert len(body) == n
    assert all(len(p["images"]) == 2 for p in body)
    assert all(len(p["variants"][0]["images"]) == 1 for p in body)


def _cutout(fmt: str) -> bytes:
    """A 400×400 picture whose background is see-through: a garment cut out."""
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    image.paste((150, 30, 60, 255), (100, 60, 300, 340))
    buffer = BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


FORMAT_OF = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}


@pytest.mark.parametrize(
    ("name", "fmt", "thumbnail_format"),
    [
        ("cutout.webp", "WEBP", "WEBP"),
        ("cutout.png", "PNG", "PNG"),
        # A see-through picture under a name that does not say its format.
        ("cutout.jpg", "PNG", "JPEG"),
        ("cutout.gif", "WEBP", "JPEG"),
    ],
)
def test_every_link_of_a_see_through_picture_leads_to_its_thumbnail(
    api_client, name, fmt, thumbnail_format
):
    """Thumbnails of a picture with transparency are linked under the name they are
    stored under, in the format that name says; PNG and WebP stay see-through."""
    product = ProductFactory()
    add_product_image(product=product, image=upload(name, _cutout(fmt)))

    urls = api_client.get(f"{PRODUCTS}{product.pk}/").json()["images"][0]["urls"]

    for size, url in urls.items():
        path = url.split("/media/", 1)[1]
        assert default_storage.exists(path), (size, url)
        with default_storage.open(path) as stored, Image.open(stored) as thumb:
            assert FORMAT_OF[path.rsplit(".", 1)[1]] == thumb.format, (size, url)
            assert thumb.format == thumbnail_format, (size, url)
            see_through = thumb.mode == "RGBA" and thumb.getpixel((0, 0))[3] == 0
            assert see_through == (thumbnail_format != "JPEG"), (size, url)
