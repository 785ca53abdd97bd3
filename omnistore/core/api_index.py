"""``GET /api/v1/``: where the storefront API starts, for someone who types its
address. Every operation is in the schema; this names the first steps."""

from drf_spectacular.utils import extend_schema
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


class ApiIndexView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []  # nothing here needs a token

    @extend_schema(exclude=True)
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
