"""The signed-in customer's wishlists, and a shared list read by its link.

Lists are always looked up among the signed-in customer's own (after merges, the
survivor's): another person's list answers 404, as if it did not exist. Availability
is at the customer's preferred shop, and each item's ``price`` is that of its market,
in its currency: the owner's market, also for a list read by its link, as the shared
page and its email give it.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Wishlist, WishlistItem
from customers.selectors.identities import customer_for_user
from customers.selectors.inbox import is_reachable_associate
from customers.selectors.team import associate_public_name
from customers.selectors.wishlists import (
    attach_wishlist_availability,
    attach_wishlist_shop_prices,
    customer_wishlists,
    wishlist_by_share_token,
    wishlist_for_customer,
)
from customers.services.wishlists import (
    add_wishlist_item,
    archive_wishlist,
    create_wishlist,
    remove_wishlist_item,
    rename_wishlist,
    renew_wishlist_link,
    share_wishlist_by_email,
    shared_wishlist_url,
)
from inventory.api.serializers import ImageSerializer
from inventory.selectors import colour_or_product_images
from omnistore.core.api import MAX_ID, ErrorSerializer, TextField
from omnistore.core.throttling import SettingsRateThrottle, ThrottledPosts

from .common import BAD_INPUT, CLIENT_CHANNEL, request_channel, validated

NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such list among yours (or no profile)."
)
TAGS = ["wishlists"]


class ShareThrottle(SettingsRateThrottle):
    """Sharing sends email to any address: a few per hour per customer."""

    scope = "wishlist_share"


# --- input -------------------------------------------------------------------------


class WishlistCreateSerializer(serializers.Serializer):
    name = TextField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text='Defaults to "My wishlist".',
    )


class WishlistRenameSerializer(serializers.Serializer):
    name = TextField(max_length=100)


class WishlistItemCreateSerializer(serializers.Serializer):
    variant = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Variant id."
    )
    note = TextField(
        max_length=250,
        required=False,
        allow_blank=True,
        help_text="Adding a variant already on the list replaces its note.",
    )


class WishlistShareSerializer(serializers.Serializer):
    email = TextField(max_length=254, help_text="Whom to send it to.")
    message = TextField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Your own words: the email says they are yours, not the shop's.",
    )


# --- output ------------------------------------------------------------------------


class ReusedChildren:
    """A list holds hundreds of items: each nested answer (a picture, a shop's
    stock) is written by one serializer per response, not one built per item, and a
    picture shown by several items is written once. (Not named ``child``: DRF reads
    a field's ``child`` as a list's item field.)"""

    def reused(self, serializer_class) -> serializers.Serializer:
        children = self.__dict__.setdefault("_children", {})
        if serializer_class not in children:
            children[serializer_class] = serializer_class(context=self.context)
        return children[serializer_class]


class WishlistVariantSerializer(ReusedChildren, serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="The catalogue's price in the home currency, as the products "
        "endpoints give it; what the list's owner pays in their market is the "
        "item's own `price`.",
    )
    currency = serializers.SerializerMethodField(
        help_text="The home currency, that of the catalogue's `price` here (the "
        "item's own `price` is in the item's `currency`)."
    )
    images = serializers.SerializerMethodField()

    def get_currency(self, variant) -> str:
        return settings.OMNISTORE_CURRENCY

    @extend_schema_field(
        ImageSerializer(
            many=True,
            help_text="Pictures of the item's colour, else the product's own (never "
            "another colour's).",
        )
    )
    def get_images(self, variant) -> list[dict]:
        images = colour_or_product_images(variant.product, variant)
        written = self.__dict__.setdefault("_images", {})
        for image in images:
            if image.pk not in written:
                written[image.pk] = self.reused(ImageSerializer).to_representation(
                    image
                )
        return [written[image.pk] for image in images]


class AddedBySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["customer", "staff"])
    name = serializers.CharField(
        allow_null=True, help_text='The associate, as "Giulia B."; null for you.'
    )
    store = serializers.CharField(allow_null=True, help_text="Shop where it was added.")


class WishlistStoreAvailabilitySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="location.pk")
    name = serializers.CharField(source="location.name")
    available = serializers.IntegerField(help_text="Units available now.")


class WishlistNearbyAvailabilitySerializer(WishlistStoreAvailabilitySerializer):
    distance_km = serializers.FloatField(
        allow_null=True, help_text="From your preferred shop."
    )


def _available_field() -> serializers.BooleanField:
    return serializers.BooleanField(
        source="on_sale",
        read_only=True,
        help_text="False when the item is no longer sold (as a cart line's "
        "`unavailable`): it stays on the list, cannot be bought, and has no stock.",
    )


# An item's price in the market of the list's owner: the market of their preferred
# shop, whoever reads the list (``attach_wishlist_shop_prices`` sets ``shop_price``).


def _price_field() -> serializers.DecimalField:
    return serializers.DecimalField(
        source="shop_price.amount",
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        help_text="What the list's owner pays for it: the shelf price (VAT "
        "included) of the market of their preferred shop, in `currency` (no "
        "preferred shop, or one outside every market: the catalogue's price in the "
        "home currency). Null when that market does not sell it (not on its price "
        "list).",
    )


def _currency_field() -> serializers.CharField:
    return serializers.CharField(
        source="shop_price.currency",
        read_only=True,
        help_text="The currency of `price` and `was_price`: that of the owner's "
        "market.",
    )


def _was_price_field() -> serializers.DecimalField:
    return serializers.DecimalField(
        source="shop_price.was",
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        help_text="The higher price it had when added, in `currency`, when it has "
        "dropped since; null otherwise, and in a market with its own price list "
        "(the price recorded when added is the catalogue's, not comparable).",
    )


class WishlistItemSerializer(ReusedChildren, serializers.ModelSerializer):
    variant = WishlistVariantSerializer()
    available = _available_field()
    price = _price_field()
    currency = _currency_field()
    was_price = _was_price_field()
    added_by = serializers.SerializerMethodField()
    can_contact = serializers.SerializerMethodField(
        help_text="Whether the associate who added it can be contacted about it."
    )
    availability_at_preferred_store = serializers.SerializerMethodField(
        help_text="Null when you have no preferred shop, or the item is no longer sold."
    )
    available_nearby = serializers.SerializerMethodField(
        help_text="Other shops near your preferred shop that have it, nearest first."
    )

    class Meta:
        model = WishlistItem
        fields = [
            "id",
            "variant",
            "available",
            "price",
            "currency",
            "was_price",
            "note",
            "added_by",
            "can_contact",
            "added_via",
            "added_at",
            "price_at_add",
            "availability_at_preferred_store",
            "available_nearby",
        ]
        extra_kwargs = {
            "price_at_add": {
                "help_text": "The catalogue's price when it was added, in the home "
                "currency (as `variant.price`)."
            }
        }

    @extend_schema_field(AddedBySerializer)
    def get_added_by(self, item) -> dict:
        store = item.added_at_location.name if item.added_at_location_id else None
        if item.added_by_staff_id:
            name = associate_public_name(item.added_by_staff)
            return {"type": "staff", "name": name, "store": store}
        return {"type": "customer", "name": None, "store": store}

    def get_can_contact(self, item) -> bool:
        return bool(item.added_by_staff_id) and is_reachable_associate(
            item.added_by_staff
        )

    @extend_schema_field(WishlistStoreAvailabilitySerializer(allow_null=True))
    def get_availability_at_preferred_store(self, item) -> dict | None:
        availability = getattr(item, "availability", None)
        if availability is None or availability.store is None:
            return None
        shop = self.reused(WishlistStoreAvailabilitySerializer)
        return shop.to_representation(availability.store)

    @extend_schema_field(WishlistNearbyAvailabilitySerializer(many=True))
    def get_available_nearby(self, item) -> list:
        availability = getattr(item, "availability", None)
        if availability is None:
            return []
        shop = self.reused(WishlistNearbyAvailabilitySerializer)
        return [shop.to_representation(nearby) for nearby in availability.nearby]


class WishlistSerializer(serializers.ModelSerializer):
    items = WishlistItemSerializer(source="active_items", many=True)
    share_url = serializers.SerializerMethodField()

    class Meta:
        model = Wishlist
        fields = ["id", "name", "share_url", "created_at", "updated_at", "items"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_share_url(self, wishlist) -> str:
        return shared_wishlist_url(wishlist)


class SharedItemSerializer(serializers.ModelSerializer):
    variant = WishlistVariantSerializer()
    available = _available_field()
    price = _price_field()
    currency = _currency_field()
    was_price = _was_price_field()

    class Meta:
        model = WishlistItem
        fields = ["variant", "available", "price", "currency", "was_price", "added_at"]


class SharedWishlistSerializer(serializers.ModelSerializer):
    """What anyone with the link sees: no notes, no staff, no stock; prices in the
    owner's market, not the reader's."""

    owner = serializers.SerializerMethodField()
    items = SharedItemSerializer(source="active_items", many=True)

    class Meta:
        model = Wishlist
        fields = ["name", "owner", "updated_at", "items"]

    def get_owner(self, wishlist) -> str:
        return wishlist.customer.first_name or ""


class ShareResultSerializer(serializers.Serializer):
    queued = serializers.BooleanField(
        help_text="False when this list, unchanged, was already sent to this address."
    )


# --- views -------------------------------------------------------------------------


def _customer(request):
    if not hasattr(request, "_wishlist_customer"):
        request._wishlist_customer = customer_for_user(request.user)
    return request._wishlist_customer


def _as_owner_sees(wishlists, customer) -> None:
    """Stock at the customer's preferred shop and prices of its market."""
    attach_wishlist_availability(wishlists, store=customer.preferred_store)
    attach_wishlist_shop_prices(wishlists, store=customer.preferred_store)


def _render(request, wishlist_id, *, status_code=status.HTTP_200_OK) -> Response:
    customer = _customer(request)
    wishlist = wishlist_for_customer(customer, wishlist_id)
    _as_owner_sees([wishlist], customer)
    return Response(WishlistSerializer(wishlist).data, status=status_code)


def _owned(request, wishlist_id) -> Wishlist:
    return wishlist_for_customer(_customer(request), wishlist_id)


class WishlistListView(generics.ListAPIView):
    serializer_class = WishlistSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Wishlist.objects.none()
        return customer_wishlists(_customer(self.request))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            _as_owner_sees(page, _customer(self.request))
        return page

    @extend_schema(
        summary="My wishlists",
        description=(
            "Open lists with their items (also those an associate added for you in a "
            "shop), stock at your preferred shop and prices of its market (each "
            "item's `price` and `currency`). The first list is your default."
        ),
        responses={200: WishlistSerializer(many=True), 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="New wishlist",
        request=WishlistCreateSerializer,
        responses={201: WishlistSerializer, 400: BAD_INPUT, 404: NOT_FOUND},
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request):
        data = validated(WishlistCreateSerializer, request)
        wishlist = create_wishlist(
            customer=_customer(request),
            name=data.get("name", ""),
            actor=request.user,
            channel=request_channel(request),
        )
        return _render(request, wishlist.pk, status_code=status.HTTP_201_CREATED)


class WishlistDetailView(APIView):
    @extend_schema(
        summary="One of my wishlists",
        responses={200: WishlistSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, pk: int):
        return _render(request, pk)

    @extend_schema(
        summary="Rename a wishlist",
        request=WishlistRenameSerializer,
        responses={200: WishlistSerializer, 400: BAD_INPUT, 404: NOT_FOUND},
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def patch(self, request, pk: int):
        wishlist = _owned(request, pk)
        data = validated(WishlistRenameSerializer, request)
        rename_wishlist(
            wishlist=wishlist,
            name=data["name"],
            actor=request.user,
            channel=request_channel(request),
        )
        return _render(request, pk)

    @extend_schema(
        summary="Delete a wishlist",
        description="The list disappears and its shared link stops working.",
        responses={204: None, 404: NOT_FOUND},
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def delete(self, request, pk: int):
        wishlist = _owned(request, pk)
        archive_wishlist(
            wishlist=wishlist, actor=request.user, channel=request_channel(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WishlistItemsView(APIView):
    @extend_schema(
        summary="Add to a wishlist",
        description=(
            "Adds a variant; one already on the list is not added twice (a new note "
            "replaces its note) and the answer is 200 instead of 201."
        ),
        request=WishlistItemCreateSerializer,
        responses={
            201: WishlistItemSerializer,
            200: WishlistItemSerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
        },
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request, pk: int):
        customer = _customer(request)
        wishlist = _owned(request, pk)
        data = validated(WishlistItemCreateSerializer, request)
        added = add_wishlist_item(
            wishlist=wishlist,
            variant=data["variant"],
            note=data.get("note", ""),
            actor=request.user,
            channel=request_channel(request),
        )
        wishlist = wishlist_for_customer(customer, pk)
        _as_owner_sees([wishlist], customer)
        item = next(i for i in wishlist.active_items if i.pk == added.item.pk)
        return Response(
            WishlistItemSerializer(item).data,
            status=status.HTTP_201_CREATED if added.created else status.HTTP_200_OK,
        )


class WishlistItemView(APIView):
    @extend_schema(
        summary="Remove from a wishlist",
        responses={204: None, 404: NOT_FOUND},
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def delete(self, request, pk: int, item_id: int):
        wishlist = _owned(request, pk)
        remove_wishlist_item(
            wishlist=wishlist,
            item_id=item_id,
            actor=request.user,
            channel=request_channel(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WishlistShareView(ThrottledPosts, APIView):
    throttle_classes = [ShareThrottle]

    @extend_schema(
        summary="Share a wishlist by email",
        description=(
            "Emails the list with its link, and your `message` marked as your own "
            "words. Only once an email of yours is confirmed (the code mailed at "
            "sign-up or by `POST /me/verify/`, entered at `/me/verify/confirm/`) "
            "or was given in person at a shop: until then 400 `email_not_verified` "
            "and nothing is sent. The email lists the items still sold at your "
            "market's prices (those of your preferred shop): a list with none of "
            "them is refused (400 naming `wishlist`), as an empty one is. Sending "
            "the same unchanged list to the same address again does nothing "
            "(`queued`: false)."
        ),
        request=WishlistShareSerializer,
        responses={
            202: ShareResultSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "Invalid input; a list that is empty or holds nothing still "
                    "sold in your market (`extra.wishlist`); or no confirmed email "
                    "yet (`email_not_verified`). Nothing sent, nothing recorded."
                ),
            ),
            404: NOT_FOUND,
        },
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request, pk: int):
        wishlist = _owned(request, pk)
        data = validated(WishlistShareSerializer, request)
        queued = share_wishlist_by_email(
            wishlist=wishlist,
            email=data["email"],
            message=data.get("message", ""),
            actor=request.user,
            channel=request_channel(request),
        )
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


class WishlistLinkView(APIView):
    @extend_schema(
        summary="Give a wishlist a new shared link",
        description=(
            "The list's `share_url` changes; whoever holds the old link, or the "
            "link of a list a customer merge folded into this one, can no longer "
            "read the list."
        ),
        request=None,
        responses={200: WishlistSerializer, 404: NOT_FOUND},
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request, pk: int):
        wishlist = _owned(request, pk)
        renew_wishlist_link(
            wishlist=wishlist, actor=request.user, channel=request_channel(request)
        )
        return _render(request, pk)


class SharedWishlistView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="A shared wishlist",
        description=(
            "Read-only, for anyone holding the link. Prices are those of the "
            "owner's market (of their preferred shop), whoever reads it, as the "
            "shared page and its email give them. The link of a list a customer "
            "merge folded into another (its items joined the survivor's list) "
            "reads that list, as its own link does; a list deleted by its owner, "
            "or a link renewed, is a 404."
        ),
        responses={200: SharedWishlistSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, token: str):
        wishlist = wishlist_by_share_token(token)
        attach_wishlist_shop_prices([wishlist], store=wishlist.customer.preferred_store)
        return Response(SharedWishlistSerializer(wishlist).data)
