"""Image files for tests: real ones drawn with Pillow, and hostile ones."""

import os
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inventory.models import ProductImage
from inventory.services.images import add_product_image


def image_bytes(size=(200, 240), fmt="PNG", colour=(40, 90, 160)) -> bytes:
    """An image of one colour, or of noise (which compresses badly) without one."""
    buffer = BytesIO()
    if colour is None:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, colour)
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def upload(
    name="shirt.png", content: bytes | None = None, **kwargs
) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, image_bytes(**kwargs) if content is None else content, "image/png"
    )


def picture(product, variant=None, **kwargs) -> ProductImage:
    return add_product_image(
        product=product, variant=variant, image=upload(**kwargs), alt_text=""
    )
