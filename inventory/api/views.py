"""Public catalog, availability and store locator: read-only, open to anyone, throttled
by the default rates. Every response is built in a fixed number of queries."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from inventory import selectors
from inventory.models import Location
from omnistore.core.api import ErrorSerializer
from omnistore.core.exceptions import NotFound
from omnistore.core.replica import reads_from_replica

from .serializers import (
    AvailabilityQuerySerializer,
    PointQuerySerializer,
    ProductAvailabilitySerializer,
    ProductListQuerySerializer,
    ProductSerializer,
    StoreSerializer,
)

BAD_INPUT = OpenApiResponse(ErrorSerializer, description="Invalid query parameters.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown or inactive product.")


def _query(serializer_class, request) -> dict:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


@extend_schema_view(
    list=extend_schema(
        summary="Browse and search the catalog",
        parameters=[ProductListQuerySerializer],
        responses={200: ProductSerializer(many=True), 400: BAD_INPUT},
    ),
    retrieve=extend_schema(
        summary="One product with its variants",
        responses={200: ProductSerializer, 404: NOT_FOUND},
    ),
)
class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    # online_available of every variant on a page comes from one query.

    permission_classes = [AllowAny]
    serializer_class = ProductSerializer
    filter_backends: list = []  # search and category go through selectors.product_list
    lookup_value_regex = r"[0-9]+"  # ASCII digits: \d would take "٣" as 3

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return selectors.product_list(images=self.action != "availability")
        params = _query(ProductListQuerySerializer, self.request)
        return selectors.product_list(
            query=params.get("q", ""), category=params.get("category") or None
        )

    def _products(self, products, *, many: bool):
        rows = products if many else [products]
        online = selectors.online_available(
            variant_ids=[v.pk for p in rows for v in p.variants.all()]
        )
        context = {**self.get_serializer_context(), "online": online}
        return ProductSerializer(products, many=many, context=context).data

    @reads_from_replica
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._products(page, many=True))

    @reads_from_replica
    def retrieve(self, request, *args, **kwargs):
        return Response(self._products(self.get_object(), many=False))

    @extend_schema(
        summary="Where a product is available",
        description=(
            "Per variant: units sellable online and the shops nearest the given point "
            "(by name without one) with their available units and click-and-collect."
        ),
        parameters=[AvailabilityQuerySerializer],
        responses={
            200: ProductAvailabilitySerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"])
    @reads_from_replica
    def availability(self, request, *args, **kwargs):
        params = _query(AvailabilityQuerySerializer, request)
        product = self.get_object()
        variants = list(product.variants.all())
        if "variant" in params:
            variants = [v for v in variants if v.pk == params["variant"]]
            if not variants:
                raise NotFound(
                    "This product has no such variant.",
                    extra={"variant": ["Not a variant of this product."]},
                )
        ids = [v.pk for v in variants]
        online = selectors.online_available(variant_ids=ids)
        stores = selectors.stores_with_availability_by_variant(
            variant_ids=ids, lat=params.get("lat"), lng=params.get("lng")
        )
        data = {
            "product_id": product.pk,
            "variants": [
                {"variant": v, "online_available": online[v.pk], "stores": stores[v.pk]}
                for v in variants
            ],
        }
        return Response(ProductAvailabilitySerializer(data).data)


@extend_schema_view(
    list=extend_schema(
        summary="Store locator",
        description="Active shops, nearest first when lat and lng are given.",
        parameters=[PointQuerySerializer],
        responses={200: StoreSerializer(many=True), 400: BAD_INPUT},
    )
)
class StoreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    serializer_class = StoreSerializer
    filter_backends: list = []
    queryset = Location.objects.none()  # lists come from selectors.shops

    @reads_from_replica
    def list(self, request, *args, **kwargs):
        point = _query(PointQuerySerializer, request)
        lat, lng = point.get("lat"), point.get("lng")
        page = self.paginate_queryset(selectors.shops(lat=lat, lng=lng))
        distances = {loc.pk: km for loc, km in selectors.with_distance(page, lat, lng)}
        context = {**self.get_serializer_context(), "distances": distances}
        serializer = StoreSerializer(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)
