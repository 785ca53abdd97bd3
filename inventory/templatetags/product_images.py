"""``{% product_thumb item %}``: the picture of a product or variant on a staff page
or in an email, from images already prefetched (``inventory.selectors.images_prefetch``
or ``prefetch_related_objects``), so a list costs no query per line."""

from django import template
from django.utils.html import format_html

from inventory.images import image_urls, site_url
from inventory.models import Product, Variant
from inventory.selectors import face_image

register = template.Library()

SIDES = {"thumb": 96, "card": 320, "large": 960}


@register.simple_tag
def product_thumb(item, size: str = "thumb", px: int = 48, absolute: bool = False):
    """An ``<img>`` of ``item`` (a variant: its colour's picture first) at the named
    ``size``, shown ``px`` wide; an empty frame when it has none. ``absolute``: a link
    on ``OMNISTORE_SITE_URL``, for emails."""
    if isinstance(item, Variant):
        image = face_image(item.product, item)
        name = item.product.name
    elif isinstance(item, Product):
        image, name = face_image(item), item.name
    else:
        image, name = None, ""
    if image is None:
        return format_html(
            '<span class="thumb thumb-none" style="width:{0}px;height:{0}px" '
            'aria-hidden="true"></span>',
            px,
        )
    url = image_urls(image.image, absolute=site_url if absolute else None)[size]
    return format_html(
        '<img class="thumb" src="{}" alt="{}" width="{}" height="{}" loading="lazy">',
        url,
        image.alt_text or name,
        px,
        px,
    )
