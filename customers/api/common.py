"""What every customer API view shares: the client's channel and input validation."""

from drf_spectacular.utils import OpenApiResponse

from omnistore.core.api import ErrorSerializer
from omnistore.core.channels import Channel

BAD_INPUT = OpenApiResponse(
    ErrorSerializer, description="Invalid input; nothing changed."
)


def request_channel(request) -> str:
    """The app sends ``X-Client-Channel: app``; anything else is the website."""
    return (
        Channel.APP if request.headers.get("X-Client-Channel") == "app" else Channel.WEB
    )


def validated(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
