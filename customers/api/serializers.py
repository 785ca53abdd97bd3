"""Input and output shapes of the storefront account, profile and privacy endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Consent, ConsentChannel, Customer, CustomerEvent
from customers.selectors.loyalty import points_value
from customers.selectors.team import associate_public_name
from omnistore.core.api import MAX_ID, FlagField, InputSerializer, TextField
from omnistore.core.channels import Channel

# --- input -------------------------------------------------------------------------


class PasswordField(TextField):
    """A password as typed, at most 128 characters as sent: the spaces around it are
    dropped (as they always were, at sign-up and sign-in alike) only after its
    length is checked, so a longer one is refused as the schema says."""

    def __init__(self, **kwargs):
        kwargs = {"max_length": 128, "write_only": True, **kwargs}
        super().__init__(style={"input_type": "password"}, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class RegisterSerializer(InputSerializer):
    email = TextField(max_length=254, help_text="Also the login.")
    password = PasswordField()
    first_name = TextField(max_length=100, required=False, allow_blank=True)
    last_name = TextField(max_length=100, required=False, allow_blank=True)
    phone = TextField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text="Any format; national numbers are read as Italian (+39) by default.",
    )
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.APP],
        required=False,
        help_text="Where the customer signs up; not sent, the client's: `app` with "
        "the header `X-Client-Channel: app`, else `web`.",
    )


class TokenRequestSerializer(serializers.Serializer):
    email = TextField(max_length=254)
    password = PasswordField()


class PasswordChangeSerializer(InputSerializer):
    current_password = PasswordField()
    new_password = PasswordField()


class PasswordResetRequestSerializer(InputSerializer):
    email = TextField(max_length=254, help_text="The account's email.")


class PasswordResetConfirmSerializer(InputSerializer):
    uid = TextField(max_length=64, help_text="From the link mailed.")
    token = TextField(max_length=128, help_text="From the link mailed.")
    new_password = PasswordField()


class ProfileUpdateSerializer(serializers.Serializer):
    first_name = TextField(max_length=100, required=False, allow_blank=True)
    last_name = TextField(max_length=100, required=False, allow_blank=True)
    birthday = serializers.DateField(required=False, allow_null=True)
    preferred_store = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id of an open shop.",
    )
    preferences = serializers.JSONField(
        required=False,
        help_text='{"sizes": {"<category slug>": "M"}, '
        '"favourite_categories": ["<category slug>"]}',
    )
    company_name = TextField(max_length=200, required=False, allow_blank=True)
    vat_number = TextField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=(
            "A business's VAT number with its country prefix (IT00743110157, "
            "CHE-116.281.710 MWST); checked offline, an invalid one is a 400 "
            "naming `vat_number`. Blank removes it."
        ),
    )


class ConsentUpdateSerializer(InputSerializer):
    email = FlagField(required=False)
    sms = FlagField(required=False)
    push = FlagField(required=False)
    tracking = FlagField(
        required=False,
        help_text="Personalisation: keep the products you view and use them for you.",
    )
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.APP],
        required=False,
        help_text="Where the customer decides: the website or the app; not sent, "
        "the client's: `app` with the header `X-Client-Channel: app`, else `web`.",
    )

    def validate(self, attrs):
        if not any(channel in attrs for channel in ConsentChannel.values):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        "Give at least one of email, sms, push, tracking."
                    ]
                }
            )
        return attrs


class EraseSerializer(serializers.Serializer):
    confirm = FlagField(
        help_text="Must be true: erasing personal data cannot be undone."
    )

    def validate_confirm(self, value):
        if value is not True:
            raise serializers.ValidationError("Confirm to erase your personal data.")
        return value


# --- output ------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')
    customer_id = serializers.IntegerField(required=False)


class IdentityOutSerializer(serializers.Serializer):
    kind = serializers.CharField()
    value = serializers.CharField()
    verified = serializers.BooleanField()


class AssociateOutSerializer(serializers.Serializer):
    """The customer's own associate, as much as a customer is told: a first name and
    the shop."""

    first_name = serializers.CharField()
    shop = serializers.CharField(allow_null=True, help_text="The associate's shop.")


class ProfileSerializer(serializers.ModelSerializer):
    preferred_store_name = serializers.SerializerMethodField()
    points_value = serializers.SerializerMethodField(
        help_text=(
            "What `points_balance` pays, in units of currency. The tier and its "
            "progress: `/api/v1/me/loyalty/`."
        )
    )
    associate = serializers.SerializerMethodField(
        help_text="The associate who looks after this customer; null if none."
    )
    identities = IdentityOutSerializer(many=True, read_only=True)
    points_owed = serializers.IntegerField(
        read_only=True,
        help_text=(
            "Points taken back by a return or a cancel after they were spent: "
            "the next points earned or given back pay them first. Only while "
            "`points_balance` is 0."
        ),
    )
    store_credit_balance = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text=(
            "Store credit to spend. What expires next, and when: "
            "`/api/v1/me/store-credit/`."
        ),
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "birthday",
            "preferred_store",
            "preferred_store_name",
            "preferences",
            "company_name",
            "vat_number",
            "loyalty_number",
            "points_balance",
            "points_owed",
            "points_value",
            "store_credit_balance",
            "created_channel",
            "created_at",
            "identities",
            "associate",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_preferred_store_name(self, customer) -> str | None:
        return customer.preferred_store.name if customer.preferred_store_id else None

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_points_value(self, customer) -> str:
        return str(points_value(customer.points_balance))

    @extend_schema_field(AssociateOutSerializer(allow_null=True))
    def get_associate(self, customer) -> dict | None:
        associate = customer.assigned_associate
        if associate is None or not associate.is_active:
            return None
        shop = associate.store.name if associate.store_id else None
        return {"first_name": associate.first_name, "shop": shop}


class ConsentOutSerializer(serializers.Serializer):
    channel = serializers.CharField(
        help_text="email, sms, push or tracking (personalisation)."
    )
    granted = serializers.BooleanField()
    source_channel = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(allow_null=True)

    @classmethod
    def rows(cls, state: dict[str, Consent | None]) -> list[dict]:
        return [
            {
                "channel": channel,
                "granted": bool(consent and consent.granted),
                "source_channel": consent.source_channel if consent else "",
                "updated_at": consent.updated_at if consent else None,
            }
            for channel, consent in state.items()
        ]


class EventSerializer(serializers.ModelSerializer):
    """An event of ``for_the_customer``: associates by first name and initial."""

    summary = serializers.CharField(source="customer_summary")
    by = serializers.SerializerMethodField(
        help_text='Staff member, when not yourself, as "Giulia B.".'
    )
    location = serializers.SerializerMethodField()

    class Meta:
        model = CustomerEvent
        fields = [
            "id",
            "kind",
            "summary",
            "channel",
            "location",
            "by",
            "reference_type",
            "reference_id",
            "occurred_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_by(self, event) -> str | None:
        actor = event.actor
        if actor is None or not actor.is_store_staff:
            return None
        return associate_public_name(actor)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_location(self, event) -> str | None:
        return event.location.name if event.location_id else None
