"""Input and output shapes of the storefront catalog and store locator."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.images import image_urls, site_url
from inventory.models import Category, Location, Product, Variant
from inventory.selectors import product_gallery, variant_images
from omnistore.core.api import MAX_ID, QuerySerializer

# --- input -------------------------------------------------------------------------


class PointQuerySerializer(QuerySerializer):
    # A point to measure distances from: both coordinates or neither.

    lat = serializers.FloatField(
        required=False, min_value=-90, max_value=90, help_text="Latitude in degrees."
    )
    lng = serializers.FloatField(
        required=False, min_value=-180, max_value=180, help_text="Longitude in degrees."
    )

    def validate(self, attrs):
        has_lat, has_lng = "lat" in attrs, "lng" in attrs
        if has_lat != has_lng:
            missing = "lng" if has_lat else "lat"
            raise serializers.ValidationError(
                {missing: ["Give lat and lng together, or neither."]}
            )
        return attrs


class AvailabilityQuerySerializer(PointQuerySerializer):
    variant = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only this variant of the product.",
    )


class ProductListQuerySerializer(QuerySerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Search by product name, brand, SKU (or its start) or barcode; "
        "several words in any order each narrow it (name, brand, colour, size: "
        '"shirt linen white").',
    )
    category = serializers.SlugField(
        required=False,
        allow_blank=True,
        max_length=120,
        help_text="Category slug; products of its child categories are included.",
    )


# --- output ------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class ImageUrlsSerializer(serializers.Serializer):
    thumb = serializers.URLField(help_text="96 pixels square.")
    card = serializers.URLField(help_text="320 pixels square.")
    large = serializers.URLField(help_text="Up to 960 pixels a side, uncropped.")


class ImageSerializer(serializers.Serializer):
    alt = serializers.CharField(help_text="Text read out in place of the image.")
    urls = serializers.SerializerMethodField()

    @extend_schema_field(ImageUrlsSerializer)
    def get_urls(self, image) -> dict:
        request = self.context.get("request")
        absolute = request.build_absolute_uri if request else site_url
        return image_urls(image.image, absolute=absolute)


class VariantSerializer(serializers.ModelSerializer):
    # online_available is read from the context map built for the whole page at once.

    currency = serializers.SerializerMethodField()
    online_available = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = [
            "id",
            "sku",
            "barcode",
            "size",
            "colour",
            "price",
            "currency",
            "online_available",
            "images",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_currency(self, variant) -> str:
        return settings.OMNISTORE_CURRENCY

    @extend_schema_field(
        serializers.IntegerField(
            help_text="Units that can be sold online now (warehouses and shops that "
            "ship online orders, less safety stock)."
        )
    )
    def get_online_available(self, variant) -> int:
        return self.context["online"].get(variant.pk, 0)

    @extend_schema_field(
        ImageSerializer(
            many=True,
            help_text="Pictures of this variant's colour (of any of its sizes).",
        )
    )
    def get_images(self, variant) -> list[dict]:
        images = variant_images(variant.product, variant)
        return ImageSerializer(images, many=True, context=self.context).data


class ProductSerializer(serializers.ModelSerializer):
    category = CategorySerializer()
    variants = VariantSerializer(many=True)
    images = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "brand",
            "description",
            "category",
            "images",
            "variants",
        ]

    @extend_schema_field(
        ImageSerializer(
            many=True, help_text="Every picture of the product, its own first."
        )
    )
    def get_images(self, product) -> list[dict]:
        images = product_gallery(product)
        return ImageSerializer(images, many=True, context=self.context).data


class StoreAvailabilitySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="location.pk")
    code = serializers.CharField(source="location.code")
    name = serializers.CharField(source="location.name")
    city = serializers.CharField(source="location.city")
    distance_km = serializers.FloatField(
        allow_null=True, help_text="From the given point; null without lat/lng."
    )
    available = serializers.IntegerField(
        help_text="Units an order may still take here: on hand, less those held and "
        "the safety stock."
    )
    click_and_collect = serializers.BooleanField()


class VariantAvailabilitySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="variant.pk")
    sku = serializers.CharField(source="variant.sku")
    size = serializers.CharField(source="variant.size")
    colour = serializers.CharField(source="variant.colour")
    online_available = serializers.IntegerField()
    stores = StoreAvailabilitySerializer(many=True, help_text="Nearest shops first.")


class ProductAvailabilitySerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    variants = VariantAvailabilitySerializer(many=True)


class StoreSerializer(serializers.ModelSerializer):
    # distance_km is read from the context map; None when no point was given.

    latitude = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Degrees north (WGS 84)."
    )
    longitude = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Degrees east (WGS 84)."
    )
    distance_km = serializers.SerializerMethodField()

    class Meta:
        model = Location
        fields = [
            "id",
            "code",
            "name",
            "address",
            "city",
            "postcode",
            "country",
            "latitude",
            "longitude",
            "phone",
            "opening_hours",
            "sells_in_store",
            "click_and_collect",
            "ships_online_orders",
            "distance_km",
        ]

    @extend_schema_field(
        serializers.FloatField(
            allow_null=True, help_text="From the given point; null without lat/lng."
        )
    )
    def get_distance_km(self, location) -> float | None:
        return self.context["distances"].get(location.pk)
