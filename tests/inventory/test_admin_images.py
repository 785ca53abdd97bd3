"""Managers add pictures on the product's admin page: a hostile file is a form
error, a good one is stored with its thumbnails and shown as a preview."""

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from inventory.images import image_urls
from inventory.models import ProductImage
from tests.factories import ProductFactory, UserFactory, VariantFactory

from .image_helpers import picture, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _form(product, image, **fields):
    return {
        "name": product.name,
        "brand": product.brand,
        "description": product.description,
        "category": product.category_id,
        "tax_class": product.tax_class,
        "active": "on",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-0-image": image,
        "images-0-alt_text": fields.get("alt_text", ""),
        "images-0-position": fields.get("position", "0"),
        "images-0-variant": fields.get("variant", ""),
    }


def _change(product):
    return reverse("admin:inventory_product_change", args=[product.pk])


def test_an_uploaded_picture_is_stored_with_thumbnails_and_previewed(admin_client):
    product = ProductFactory()
    variant = VariantFactory(product=product, colour="Navy")

    response = admin_client.post(
        _change(product),
        _form(product, upload("navy.png"), alt_text="Navy, front", variant=variant.pk),
    )

    assert response.status_code == 302, response.context["errors"]
    image = ProductImage.objects.get()
    assert (image.variant, image.alt_text) == (variant, "Navy, front")
    urls = image_urls(image.image)
    assert all(default_storage.exists(u.removeprefix("/media/")) for u in urls.values())
    page = admin_client.get(_change(product)).content.decode()
    assert f'src="{urls["thumb"]}"' in page
    assert image.audit.get().history_user is not None  # who added it is kept


@pytest.mark.parametrize(
    "content", [b"<?php echo 'hi'; ?>", b"GIF89a" + b"\0" * 40, b"\x89PNG\r\n\x1a\n"]
)
def test_a_file_that_is_not_a_good_image_is_a_form_error(admin_client, content):
    product = ProductFactory()

    response = admin_client.post(
        _change(product), _form(product, upload("evil.png", content))
    )

    assert response.status_code == 200
    assert "image" in str(response.context["inline_admin_formsets"][1].formset.errors)
    assert not ProductImage.objects.exists()


def test_a_variant_of_another_product_cannot_be_chosen(admin_client):
    product = ProductFactory()
    stranger = VariantFactory()

    response = admin_client.post(
        _change(product), _form(product, upload(), variant=stranger.pk)
    )

    assert response.status_code == 200
    assert not ProductImage.objects.exists()


def test_the_product_list_and_page_render_with_pictures(admin_client):
    product = ProductFactory()
    picture(product)

    assert (
        admin_client.get(reverse("admin:inventory_product_changelist")).status_code
        == 200
    )
    assert admin_client.get(_change(product)).status_code == 200


def test_a_product_with_pictures_saves_with_its_pictures_untouched(
    admin_client, settings, tmp_path
):
    """A name changed on a product that has a picture: the stored picture, checked
    when it was uploaded, is not read again, and the change is saved (on files on
    disk, as in production)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    product = ProductFactory(name="Linen shirt")
    image = picture(product)
    form = _form(product, "", alt_text="Front")
    form.update(
        {
            "name": "Linen shirt, relaxed",
            "images-INITIAL_FORMS": "1",
            "images-0-id": str(image.pk),
            "images-0-product": str(product.pk),
        }
    )
    del form["images-0-image"]

    response = admin_client.post(_change(product), form)

    assert response.status_code == 302, response.context["errors"]
    product.refresh_from_db()
    image.refresh_from_db()
    assert (product.name, image.alt_text) == ("Linen shirt, relaxed", "Front")


def test_a_product_whose_picture_file_is_missing_still_saves(
    admin_client, settings, tmp_path
):
    """A server that cannot find a stored picture's file (shared media not mounted,
    a file lost) still saves the product's page: the picture keeps its measures."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    product = ProductFactory(name="Linen shirt")
    image = picture(product)
    measures = (image.width, image.height)
    default_storage.delete(image.image.name)
    form = _form(product, "", alt_text="Front")
    form.update(
        {
            "name": "Linen shirt, relaxed",
            "images-INITIAL_FORMS": "1",
            "images-0-id": str(image.pk),
            "images-0-product": str(product.pk),
        }
    )
    del form["images-0-image"]

    response = admin_client.post(_change(product), form)

    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.width, image.height) == measures
    product.refresh_from_db()
    assert product.name == "Linen shirt, relaxed"
