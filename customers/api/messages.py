"""The signed-in customer's messages with their associates.

A customer writes to the associate who added an item to their wishlist (or, in
general, to the one ``message_recipient`` picks) and reads their threads. Threads are
looked up among the customer's own: anyone else's answers 404. Associates appear by
first name and shop only.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import MessageChannel, MessageDirection
from customers.selectors.identities import customer_for_user
from customers.selectors.inbox import customer_conversation, customer_conversations
from customers.selectors.team import associate_public_name
from customers.selectors.wishlists import wishlist_for_customer
from customers.services.inbox import MESSAGE_MAX, send_customer_message
from omnistore.core.api import MAX_ID, ErrorSerializer, TextField
from omnistore.core.exceptions import NotFound
from omnistore.core.throttling import SettingsRateThrottle, ThrottledPosts

from .common import BAD_INPUT, CLIENT_CHANNEL, request_channel, validated

TAGS = ["messages"]
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such thread or item among yours (or no profile)."
)
NO_ASSOCIATE = OpenApiResponse(
    ErrorSerializer, description="No associate to write to yet (`no_associate`)."
)


class MessageThrottle(SettingsRateThrottle):
    """Each message lands in a person's inbox: a few an hour per customer."""

    scope = "customer_message"


class MessageCreateSerializer(serializers.Serializer):
    body = TextField(max_length=MESSAGE_MAX, trim_whitespace=False)
    wishlist_item = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="An item of one of your lists: the message goes to who added it.",
    )


class ContactSerializer(serializers.Serializer):
    body = TextField(max_length=MESSAGE_MAX, trim_whitespace=False)


class AssociateSerializer(serializers.Serializer):
    name = serializers.CharField(help_text='First name and initial, "Giulia B.".')
    store = serializers.CharField(allow_null=True)


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.ChoiceField(
        choices=MessageDirection.choices,
        help_text="`in`: yours; `out`: the associate's reply.",
    )
    channel = serializers.ChoiceField(choices=MessageChannel.choices)
    body = serializers.CharField()
    wishlist_item = serializers.IntegerField(source="wishlist_item_id", allow_null=True)
    created_at = serializers.DateTimeField()


def _associate(thread) -> dict:
    store = thread.location.name if thread.location_id else None
    return {"name": associate_public_name(thread.associate), "store": store}


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    associate = serializers.SerializerMethodField()
    last_message_at = serializers.DateTimeField()
    messages = MessageSerializer(many=True, source="messages.all")

    @extend_schema_field(AssociateSerializer)
    def get_associate(self, thread) -> dict:
        return _associate(thread)


def _thread_response(request, message) -> Response:
    customer = customer_for_user(request.user)
    thread = customer_conversation(customer, message.conversation_id)
    return Response(ConversationSerializer(thread).data, status=status.HTTP_201_CREATED)


class MessagesView(ThrottledPosts, APIView):
    throttle_classes = [MessageThrottle]

    @extend_schema(
        summary="My messages",
        description="Threads with associates, latest first, with every message.",
        responses={200: ConversationSerializer(many=True), 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request):
        customer = customer_for_user(request.user)
        threads = customer_conversations(customer)
        return Response(ConversationSerializer(threads, many=True).data)

    @extend_schema(
        summary="Write to my associate",
        description=(
            "About a wishlist item (to the associate who added it) or in general "
            "(to the associate who helped you last). Answers with the thread."
        ),
        request=MessageCreateSerializer,
        responses={
            201: ConversationSerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
            409: NO_ASSOCIATE,
        },
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request):
        customer = customer_for_user(request.user)
        data = validated(MessageCreateSerializer, request)
        message = send_customer_message(
            customer=customer,
            body=data["body"],
            wishlist_item=data.get("wishlist_item"),
            actor=request.user,
            channel=request_channel(request),
        )
        return _thread_response(request, message)


class MessageThreadView(APIView):
    @extend_schema(
        summary="One of my threads",
        responses={200: ConversationSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, pk: int):
        customer = customer_for_user(request.user)
        thread = customer_conversation(customer, pk)
        return Response(ConversationSerializer(thread).data)


class WishlistItemContactView(ThrottledPosts, APIView):
    throttle_classes = [MessageThrottle]

    @extend_schema(
        summary="Contact the associate who added an item",
        request=ContactSerializer,
        responses={
            201: ConversationSerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
            409: NO_ASSOCIATE,
        },
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request, pk: int, item_id: int):
        customer = customer_for_user(request.user)
        wishlist = wishlist_for_customer(customer, pk)
        data = validated(ContactSerializer, request)
        if not any(item.pk == item_id for item in wishlist.active_items):
            raise NotFound("This item is not on the list.")
        message = send_customer_message(
            customer=customer,
            body=data["body"],
            wishlist_item=item_id,
            actor=request.user,
            channel=request_channel(request),
        )
        return _thread_response(request, message)
