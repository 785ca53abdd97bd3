"""Managers' API for segments and campaign reports (HQ and superusers only).

Rules are validated by the same code as the admin; an invalid rule answers 400 with
every error under ``extra.rules``, each naming where in the rules it is.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Segment
from campaigns.rules import field_reference
from campaigns.selectors.audiences import segment_preview
from campaigns.selectors.reports import campaign_report
from campaigns.services.segments import create_segment, validate_segment_rules
from omnistore.accounts.models import Role
from omnistore.core.api import TextField
from omnistore.core.replica import reads_from_replica


class IsManager(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and (user.role == Role.HQ or user.is_superuser)
        )


class SegmentInSerializer(serializers.Serializer):
    name = TextField(max_length=120)
    description = TextField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    rules = serializers.JSONField()


class RulesSerializer(serializers.Serializer):
    rules = serializers.JSONField()


class SegmentOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "description", "rules", "created_at", "updated_at"]


class CustomerSampleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class PreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    sample = CustomerSampleSerializer(many=True)


def _preview(rules_or_segment) -> dict:
    preview = segment_preview(rules_or_segment)
    return PreviewSerializer(preview).data


class SegmentListView(APIView):
    permission_classes = [IsManager]

    @extend_schema(responses=SegmentOutSerializer(many=True), tags=["campaigns"])
    def get(self, request):
        segments = Segment.objects.order_by("name")
        return Response(SegmentOutSerializer(segments, many=True).data)

    @extend_schema(
        request=SegmentInSerializer,
        responses={201: SegmentOutSerializer},
        tags=["campaigns"],
    )
    def post(self, request):
        data = SegmentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        segment = create_segment(**data.validated_data, actor=request.user)
        return Response(SegmentOutSerializer(segment).data, status=201)


class SegmentPreviewView(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        request=RulesSerializer, responses=PreviewSerializer, tags=["campaigns"]
    )
    @reads_from_replica
    def post(self, request):
        data = RulesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rules = validate_segment_rules(rules=data.validated_data["rules"])
        return Response(_preview(rules))


class SavedSegmentPreviewView(APIView):
    permission_classes = [IsManager]

    @extend_schema(responses=PreviewSerializer, tags=["campaigns"])
    @reads_from_replica
    def get(self, request, pk: int):
        return Response(_preview(get_object_or_404(Segment, pk=pk)))


class RuleFieldSerializer(serializers.Serializer):
    field = serializers.CharField()
    ops = serializers.ListField(child=serializers.CharField())
    options = serializers.ListField(child=serializers.CharField())
    choices = serializers.ListField(child=serializers.CharField())
    help = serializers.CharField()


class RuleFieldsView(APIView):
    permission_classes = [IsManager]

    @extend_schema(responses=RuleFieldSerializer(many=True), tags=["campaigns"])
    def get(self, request):
        return Response(RuleFieldSerializer(field_reference(), many=True).data)


CONVERSIONS_HELP = (
    "Buyers the campaign had sent a message who placed an attributed order (a "
    "tracked click, else the campaign's code, within the attribution window) that "
    "sold goods, not cancelled nor refunded in full, each counted once: never more "
    "than the messages sent. An order of gift cards alone is none."
)
CODE_USED_BY_OTHERS_HELP = (
    "Orders, not cancelled, that used the campaign's discount code though the "
    "campaign had sent their buyer no message by then (a guest, a code passed on): "
    "not conversions."
)
REVENUE_HELP = (
    "What the attributed orders sold, net of refunds, in the home currency: their "
    "goods, not the gift cards they sold (money owed until spent)."
)
CHANNEL_CREDIT = (
    "Each attributed order is credited to the channel of the message whose tracked "
    "click the attribution followed, else (an order the campaign's code brought) to "
    "the channel of the campaign's latest message sent to the buyer before the "
    "order."
)
CHANNEL_CONVERSIONS_HELP = (
    f"Buyers whose orders are credited to this channel, each counted once. "
    f"{CHANNEL_CREDIT} They add up to the campaign's conversions unless one buyer's "
    "orders went to two channels."
)
CHANNEL_REVENUE_HELP = (
    f"Revenue of the orders credited to this channel. {CHANNEL_CREDIT} The "
    "channels' revenue adds up to the campaign's."
)


class ChannelReportSerializer(serializers.Serializer):
    channel = serializers.CharField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    open_rate = serializers.DecimalField(max_digits=5, decimal_places=1)
    click_rate = serializers.DecimalField(max_digits=5, decimal_places=1)
    conversions = serializers.IntegerField(help_text=CHANNEL_CONVERSIONS_HELP)
    revenue = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text=CHANNEL_REVENUE_HELP
    )
    other_revenue = serializers.DictField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        help_text="Revenue in other currencies than the home one, by currency code "
        '(e.g. {"CHF": "62.90"}): never added to revenue.',
    )


class CampaignReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="campaign_id")
    name = serializers.CharField()
    kind = serializers.CharField()
    multichannel = serializers.BooleanField()
    sent = serializers.IntegerField()
    open_rate = serializers.DecimalField(max_digits=5, decimal_places=1)
    click_rate = serializers.DecimalField(max_digits=5, decimal_places=1)
    conversions = serializers.IntegerField(help_text=CONVERSIONS_HELP)
    code_used_by_others = serializers.IntegerField(help_text=CODE_USED_BY_OTHERS_HELP)
    revenue = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text=REVENUE_HELP
    )
    other_revenue = serializers.DictField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        help_text="Revenue in other currencies than the home one, by currency code "
        '(e.g. {"CHF": "62.90"}): never added to revenue.',
    )
    channels = serializers.SerializerMethodField()

    @extend_schema_field(ChannelReportSerializer(many=True))
    def get_channels(self, stats):
        return ChannelReportSerializer(stats.by_channel.values(), many=True).data


class GroupReportSerializer(serializers.Serializer):
    campaigns = serializers.IntegerField()
    sent = serializers.IntegerField()
    open_rate = serializers.DecimalField(max_digits=5, decimal_places=1)
    click_rate = serializers.DecimalField(max_digits=5, decimal_places=1)
    conversions = serializers.IntegerField()
    conversion_rate = serializers.DecimalField(max_digits=5, decimal_places=1)
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReportSerializer(serializers.Serializer):
    campaigns = CampaignReportSerializer(many=True)
    single_channel = GroupReportSerializer(source="single")
    multi_channel = GroupReportSerializer(source="multi")


class ReportView(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        responses=ReportSerializer,
        tags=["campaigns"],
        description="Per campaign and channel: sent, open and click rates, "
        "conversions and revenue, then single- against multi-channel campaigns. "
        f"{CHANNEL_CREDIT} A campaign's revenue is the sum of its channels'.",
    )
    def get(self, request):
        return Response(ReportSerializer(campaign_report()).data)
