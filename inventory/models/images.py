"""Pictures of products and of their variants."""

import contextlib

from django.core.exceptions import ValidationError
from django.db import models

from inventory.images import validate_product_image
from inventory.models.catalog import Product, Variant


class StoredImageField(models.ImageField):
    """An image whose width and height are kept on the row: a form saving the row
    again (the product's page in the admin) reads the file to measure it, and a
    file this server cannot find (shared media not mounted, a file lost) leaves the
    measures as stored instead of failing the whole save."""

    def update_dimension_fields(self, instance, force=False, *args, **kwargs):
        with contextlib.suppress(FileNotFoundError):
            super().update_dimension_fields(instance, force, *args, **kwargs)


def _image_path(image: "ProductImage", filename: str) -> str:
    return f"products/{image.product_id}/{filename}"


class ProductImage(models.Model):
    """A picture of a product, or of one variant of it (a colour). ``position`` orders
    them, the first being the product's face; thumbnails are made on upload
    (``inventory.images``)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images"
    )
    variant = models.ForeignKey(
        Variant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="images",
        help_text="Empty: the product as a whole.",
    )
    image = StoredImageField(
        upload_to=_image_path,
        width_field="width",
        height_field="height",
        max_length=200,
        validators=[validate_product_image],
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    alt_text = models.CharField(
        max_length=200, blank=True, help_text="Read out in place of the image."
    )
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["product", "position"], name="product_image_order")
        ]

    def __str__(self):
        return self.alt_text or self.image.name

    def clean(self):
        super().clean()
        if self.variant_id and self.variant.product_id != self.product_id:
            raise ValidationError({"variant": "Not a variant of this product."})

    @property
    def alt(self) -> str:
        return self.alt_text or self.product.name
