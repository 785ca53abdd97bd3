"""Make the thumbnails product images lack (after a size was added to
``THUMBNAIL_ALIASES``, or files restored without them); existing ones are kept."""

from django.core.management.base import BaseCommand

from inventory.models import ProductImage
from inventory.services.images import thumbnail_images


class Command(BaseCommand):
    help = "Make every missing thumbnail of the product images."

    def handle(self, *args, **options):
        images = ProductImage.objects.order_by("pk")
        thumbnail_images(images.iterator(chunk_size=200))
        self.stdout.write(f"Thumbnails checked for {images.count()} images.")
