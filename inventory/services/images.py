"""Product images: added with their thumbnails, each upload checked first
(``inventory.images.validate_product_image``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from omnistore.core.exceptions import ValidationFailed

from ..images import make_thumbnails, validate_product_image
from ..models import Product, ProductImage, Variant


@transaction.atomic
def add_product_image(
    *,
    product: Product,
    image,
    variant: Variant | None = None,
    alt_text: str = "",
    position: int | None = None,
) -> ProductImage:
    """A new image of ``product`` (of one ``variant`` when given), after the others
    unless ``position`` says where; its thumbnails are made before it is returned."""
    _check_upload(image)
    if position is None:
        last = product.images.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
    row = ProductImage(
        product=product,
        variant=variant,
        image=image,
        alt_text=(alt_text or "").strip(),
        position=position,
    )
    try:
        row.full_clean()
    except ValidationError as error:
        raise _failed(error.message_dict) from None
    row.save()
    make_thumbnails(row.image)
    return row


def _check_upload(image) -> None:
    """Before the model reads the image's size: a hostile file never reaches it."""
    try:
        validate_product_image(image)
    except ValidationError as error:
        raise _failed({"image": error.messages}) from None


def _failed(fields: dict[str, list[str]]) -> ValidationFailed:
    first = next(iter(fields.values()))[0]
    return ValidationFailed(first, code="invalid_image", extra=fields)


def thumbnail_images(images: Iterable[ProductImage]) -> None:
    """The thumbnails of images saved elsewhere (the admin's inline forms)."""
    for row in images:
        if row.image:
            make_thumbnails(row.image)
