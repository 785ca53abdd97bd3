"""Product images: every upload is checked with Pillow before it is stored, and each
stored image has its thumbnails at every named size."""

from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from inventory.images import image_urls
from inventory.models import ProductImage
from inventory.services.images import add_product_image
from omnistore.core.exceptions import ValidationFailed
from tests.factories import ProductFactory, VariantFactory

from .image_helpers import image_bytes, picture, upload

pytestmark = pytest.mark.django_db


def test_an_image_is_stored_with_its_size_and_thumbnails_at_every_named_size():
    product = ProductFactory(name="Linen shirt")

    row = picture(product, size=(400, 600))

    assert (row.width, row.height, row.position) == (400, 600, 0)
    assert row.alt == "Linen shirt"
    urls = image_urls(row.image)
    assert set(urls) == {"thumb", "card", "large"}
    for name, side in (("thumb", 96), ("card", 320), ("large", 960)):
        path = urls[name].removeprefix("/media/")
        assert default_storage.exists(path), name
        with default_storage.open(path) as stored, Image.open(stored) as thumb:
            assert max(thumb.size) <= side
    assert picture(product).position == 1


def test_a_variant_image_must_be_of_the_same_product():
    product = ProductFactory()
    stranger = VariantFactory()

    with pytest.raises(ValidationFailed) as error:
        add_product_image(product=product, variant=stranger, image=upload())

    assert "variant" in error.value.extra
    assert not ProductImage.objects.exists()


def _truncated_jpeg() -> bytes:
    whole = image_bytes(size=(300, 300), fmt="JPEG")
    return whole[: len(whole) // 2]


def _gif() -> bytes:
    buffer = BytesIO()
    Image.new("P", (120, 120)).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notes.png", b"just some text pretending", "not an image"),
        ("cut.jpg", _truncated_jpeg(), "not an image"),
        ("anim.gif", _gif(), "GIF images are not accepted"),
        ("tiny.png", image_bytes(size=(20, 20)), "each side must be between"),
        ("huge.png", image_bytes(size=(7000, 70)), "each side must be between"),
        ("empty.png", b"", "not an image"),
    ],
)
def test_a_hostile_or_unfit_file_is_refused_with_a_field_error(name, content, words):
    with pytest.raises(ValidationFailed) as error:
        add_product_image(product=ProductFactory(), image=upload(name, content))

    assert words in error.value.message
    assert error.value.extra["image"]
    assert not ProductImage.objects.exists()


def test_a_file_heavier_than_the_limit_is_refused(settings):
    settings.OMNISTORE_IMAGE_MAX_BYTES = 1000

    with pytest.raises(ValidationFailed) as error:
        picture(ProductFactory(), size=(400, 400), colour=None)

    assert "larger than" in error.value.message


def test_a_decompression_bomb_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)

    with pytest.raises(ValidationFailed) as error:
        picture(ProductFactory(), size=(300, 300))

    assert "too many pixels" in error.value.message
