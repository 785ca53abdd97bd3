"""What every customer API view shares: the client's channel and input validation.
The orders API reads the client's channel here too: one rule for every endpoint."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from omnistore.core.api import ErrorSerializer
from omnistore.core.channels import Channel

BAD_INPUT = OpenApiResponse(
    ErrorSerializer, description="Invalid input; nothing changed."
)


CLIENT_CHANNEL = OpenApiParameter(
    "X-Client-Channel",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "`app` from the mobile app: what the request creates or changes (a sign-up, "
        "a cart, an order, a return, a consent) is recorded as the app's unless the "
        "body names its `channel`. Without it (or with any other value), the "
        "website's."
    ),
)


def request_channel(request) -> str:
    """The app sends ``X-Client-Channel: app``; anything else is the website
    (``CLIENT_CHANNEL`` documents the header)."""
    return (
        Channel.APP if request.headers.get("X-Client-Channel") == "app" else Channel.WEB
    )


def validated(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
