"""Product images: what an upload must be, and the links to its thumbnails.

An upload is opened with Pillow before anything is stored: it must be a whole image of
an allowed format (``OMNISTORE_IMAGE_FORMATS``), no heavier than
``OMNISTORE_IMAGE_MAX_BYTES`` and between ``OMNISTORE_IMAGE_MIN_SIDE`` and
``OMNISTORE_IMAGE_MAX_SIDE`` pixels a side, so a renamed text file, a truncated JPEG or
a decompression bomb is refused with a field error, never stored.

Thumbnails (easy-thumbnails) are made at every named size of ``THUMBNAIL_ALIASES`` once,
when the image is saved (``make_thumbnails``). Their names follow from the source name
and the size's options alone, so pages and the API link them (``image_urls``) without a
query per image; a missing one (an image stored before a new size was added) is made
by ``manage.py thumbnail_product_images``.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from easy_thumbnails.alias import aliases
from easy_thumbnails.files import get_thumbnailer
from PIL import Image, UnidentifiedImageError

SIZES = ("thumb", "card", "large")


def _limits_message() -> str:
    formats = ", ".join(settings.OMNISTORE_IMAGE_FORMATS)
    return f"Upload a {formats} image."


def validate_product_image(upload) -> None:
    """Refuse anything but a whole, reasonably sized image of an allowed format. A
    picture already stored (checked when it came in) is not read again: saving its
    product changes nothing of it."""
    if getattr(upload, "_committed", False):
        return
    size = getattr(upload, "size", None)
    if size is not None and size > settings.OMNISTORE_IMAGE_MAX_BYTES:
        limit = settings.OMNISTORE_IMAGE_MAX_BYTES // (1024 * 1024)
        raise ValidationError(
            f"The image is larger than {limit} MB.", code="image_too_large"
        )
    width, height, image_format = _read(upload, _inspect)
    if image_format not in settings.OMNISTORE_IMAGE_FORMATS:
        raise ValidationError(
            f"{image_format or 'This'} images are not accepted. {_limits_message()}",
            code="image_format",
        )
    low, high = settings.OMNISTORE_IMAGE_MIN_SIDE, settings.OMNISTORE_IMAGE_MAX_SIDE
    if min(width, height) < low or max(width, height) > high:
        raise ValidationError(
            f"The image is {width}×{height} pixels: each side must be between "
            f"{low} and {high}.",
            code="image_dimensions",
        )
    _read(upload, _decode)


def _read(upload, step):
    """One reading step, its failures as the field's errors."""
    try:
        return step(upload)
    except Image.DecompressionBombError as error:
        raise ValidationError(
            "The image has too many pixels.", code="image_too_many_pixels"
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            f"This file is not an image we can read. {_limits_message()}",
            code="image_unreadable",
        ) from error


def _inspect(upload) -> tuple[int, int, str]:
    """Width, height and format from the header, after Pillow's ``verify``."""
    with _opened(upload) as image:
        width, height, image_format = image.width, image.height, image.format
        image.verify()
    upload.seek(0)
    return width, height, image_format


def _decode(upload) -> None:
    """Every pixel, once the size is known to be sane: a truncated file fails here
    (``verify`` does not read a JPEG's data)."""
    with _opened(upload) as image:
        image.load()
    upload.seek(0)


@contextmanager
def _opened(upload):
    upload.seek(0)
    with warnings.catch_warnings():
        # A bomb warning becomes the error it warns of.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(upload) as image:
                yield image
        except Image.DecompressionBombWarning as warning:
            raise Image.DecompressionBombError(str(warning)) from warning


def make_thumbnails(field_file) -> None:
    """Every named size of one stored image, written next to it in the storage."""
    thumbnailer = get_thumbnailer(field_file)
    for alias in SIZES:
        thumbnailer.get_thumbnail(aliases.get(alias), generate=True)


def image_urls(field_file, *, absolute=None) -> dict[str, str]:
    """``{size: url}`` of one image's thumbnails, by name (no query, no file access).
    ``absolute`` turns a path into a full URL (``request.build_absolute_uri``, or
    ``site_url`` for emails)."""
    thumbnailer = get_thumbnailer(field_file)
    storage = thumbnailer.thumbnail_storage
    urls = {}
    for alias in SIZES:
        options = thumbnailer.get_options(aliases.get(alias))
        url = storage.url(thumbnailer.get_thumbnail_name(options))
        urls[alias] = absolute(url) if absolute else url
    return urls


def site_url(path: str) -> str:
    """A path as a link from outside the site (emails): on ``OMNISTORE_SITE_URL``."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.OMNISTORE_SITE_URL.rstrip("/") + "/" + path.lstrip("/")
