"""``GET /api/v1/``: where the storefront API starts, for someone who types its
address. Every operation is in the schema; this names the first steps."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

# The first steps of a storefront, in the order a client takes them.
START = {
    "products": "products/",
    "stores": "stores/",
    "register": "auth/register/",
    "sign_in": "auth/token/",
    "cart": "cart/",
    "checkout": "checkout/",
    "buy_now": "checkout/buy-now/",
    "orders": "orders/",
    "returns": "returns/",
    "me": "me/",
    "wishlists": "wishlists/",
}


class ApiIndexOutput(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    docs = serializers.URLField(help_text="The API's pages (Swagger UI).")
    schema = serializers.URLField(help_text="This OpenAPI document.")
    authentication = serializers.CharField(
        help_text="How a signed-in request names its customer."
    )
    start = serializers.DictField(
        child=serializers.URLField(),
        help_text="The first steps, by name (`products`, `cart`, `checkout`, …): "
        "absolute addresses of operations of this API.",
    )


class ApiIndexView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []  # nothing here needs a token

    @extend_schema(
        operation_id="api_index",
        summary="Where the API starts",
        description="Names the docs, the schema, how to sign requests and the "
        "first steps of a storefront.",
        responses={200: ApiIndexOutput},
        tags=["api"],
    )
    def get(self, request):
        base = request.build_absolute_uri()
        return Response(
            {
                "name": "Omnistore storefront API",
                "version": "v1",
                "docs": request.build_absolute_uri("/api/docs/"),
                "schema": request.build_absolute_uri("/api/schema/"),
                "authentication": "Authorization: Token <token from auth/token/>",
                "start": {name: base + path for name, path in START.items()},
            }
        )
