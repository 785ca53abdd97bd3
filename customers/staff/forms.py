"""Forms of the staff customer screens: they parse input; services decide."""

import datetime as dt

from django import forms
from django.utils import timezone

from customers.models import AppointmentKind, ConsentChannel
from customers.normalize import normalize_email, normalize_phone
from customers.selectors.addresses import REQUIRED_FIELDS
from customers.selectors.appointments import shop_timezone
from customers.services.addresses import (
    DEFAULT_COUNTRY,
    TEXT_FIELDS,
    clean_address_fields,
    max_length,
)
from customers.services.appointments import REASON_MAX
from customers.services.tasks import TASK_HORIZON_DAYS
from inventory.staff.forms import VariantCodeField
from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import SentOnceForm


class CounterCustomerForm(forms.Form):
    """Register a customer at the counter; email or phone is needed to recognise them."""

    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.CharField(
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        max_length=30,
        required=False,
        help_text="Any format: 333 123 4567, +39 333 1234567, 0039…",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email_consent = forms.BooleanField(required=False, label="Agrees to receive emails")
    sms_consent = forms.BooleanField(required=False, label="Agrees to receive SMS")

    def __init__(self, *args, region: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region

    def clean_email(self):
        value = self.cleaned_data.get("email", "").strip()
        if value and normalize_email(value) is None:
            raise forms.ValidationError("Enter a valid email address.")
        return normalize_email(value) or ""

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        if value and normalize_phone(value, region=self.region) is None:
            raise forms.ValidationError(
                "Enter a valid phone number, e.g. 333 123 4567 or +39 333 123 4567."
            )
        return normalize_phone(value, region=self.region) or ""

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(
                "Give an email or a phone number so the customer is recognised "
                "in every channel."
            )
        if data.get("email_consent") and not data.get("email"):
            self.add_error("email_consent", "Email consent needs an email address.")
        if data.get("sms_consent") and not data.get("phone"):
            self.add_error("sms_consent", "SMS consent needs a phone number.")
        return data


class NoteForm(SentOnceForm):
    """A note about the customer; sent twice (a double tap), it is saved once."""

    text = forms.CharField(
        max_length=2000,
        label="Add a note",
        help_text="Every shop sees it, and the customer can read it in their "
        "data export.",
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "What should colleagues know?"}
        ),
    )


class MergeForm(forms.Form):
    other = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # The pair's decisions as the page showed them: one made since (a colleague
    # dismissed it) stops the merge.
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    confirm = forms.BooleanField(
        label="I checked that these profiles are the same person",
        error_messages={"required": "Tick the box to confirm the merge."},
    )


class WishlistScanForm(forms.Form):
    code = VariantCodeField(label="Scan or type a SKU / barcode")
    note = forms.CharField(
        label="Note",
        max_length=250,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "Size to try, colour wanted, occasion…"}
        ),
    )
    wishlist = forms.TypedChoiceField(
        label="List", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, wishlists=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(w.pk, w.name) for w in wishlists]
        self.fields["wishlist"].choices = choices or [("", "My wishlist (new)")]
        if len(choices) <= 1:
            self.fields["wishlist"].widget = forms.HiddenInput()
            if choices:
                self.fields["wishlist"].initial = choices[0][0]


class ReplyForm(SentOnceForm):
    """A reply to the customer: by email or SMS, the first channel a reply can go by
    chosen, each with why it cannot (``reply_routes``; the service checks again).
    Sent twice, it goes once."""

    channel = forms.ChoiceField(
        label="Send by",
        choices=[("email", "Email"), ("sms", "SMS")],
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        max_length=2000,
        label="Reply",
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Write your reply"}),
    )

    def __init__(self, *args, routes: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.routes = routes or {}
        self.allowed = {c for c, route in self.routes.items() if route.address}
        first = [c for c, _ in self.fields["channel"].choices if c in self.allowed]
        if not self.is_bound and first:
            self.initial.setdefault("channel", first[0])

    def channel_routes(self):
        """Each channel's radio with its route (where it goes, or why not)."""
        return [
            (choice, self.routes.get(choice.data["value"]))
            for choice in self["channel"]
        ]


class AppointmentBookingForm(forms.Form):
    """An appointment booked at the counter or on the phone for a customer: the kind
    and day pick the slots shown; the slot chosen comes as ``starts_at``."""

    kind = forms.ChoiceField(choices=AppointmentKind.choices, initial="styling")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "What they would like"}),
    )

    def __init__(self, *args, zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone or shop_timezone()

    def clean(self):
        """The slot is on the day shown: a time on another day is not booked
        there behind the day the form says."""
        cleaned = super().clean()
        day, starts_at = cleaned.get("date"), cleaned.get("starts_at")
        if day is None or starts_at is None:
            return cleaned
        try:
            local = timezone.localtime(starts_at, self.zone)
        except OverflowError:
            local = None
        if local is None or local.date() != day:
            self.add_error(
                "starts_at", f"Choose one of the times of {day:%a %d %b %Y}."
            )
        return cleaned


class AppointmentCancelForm(forms.Form):
    """Why the shop cancels an appointment (optional, kept on the timeline)."""

    reason = forms.CharField(max_length=REASON_MAX, required=False, strip=True)


class AssociateForm(forms.Form):
    """A manager's choice of associate for a client (the team's staff)."""

    associate = forms.ModelChoiceField(queryset=None, empty_label="Nobody")

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["associate"].queryset = team
        self.fields["associate"].required = False
        self.fields["associate"].label_from_instance = lambda u: (
            f"{u.display_name} · {u.store.name}" if u.store_id else u.display_name
        )


class SnoozeForm(forms.Form):
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label="Give to")

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = team


class ManualTaskForm(SentOnceForm):
    """A task written by hand; sent twice, it is created once."""

    title = forms.CharField(
        max_length=200,
        label="Task",
        widget=forms.TextInput(attrs={"placeholder": "Call about the new season…"}),
    )
    due_on = forms.DateField(
        label="Due", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()  # the date picker offers what the task takes
        last = today + dt.timedelta(days=TASK_HORIZON_DAYS)
        attrs = self.fields["due_on"].widget.attrs
        attrs.update(min=today.isoformat(), max=last.isoformat())


class ConsentForm(forms.Form):
    """A consent decision the customer tells the associate."""

    channel = forms.ChoiceField(choices=ConsentChannel.choices)
    decision = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")])


class AddressForm(forms.Form):
    """A saved delivery address as staff type it for the customer: the fields of the
    storefront's address book, checked by its own rules (``clean_address_fields``),
    every problem at once. The default is moved by ticking another address; the
    default address shows no box (it cannot be unset, only replaced)."""

    label = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Home, Office…"}),
    )
    name = forms.CharField(required=False, label="Name on the parcel")
    line1 = forms.CharField(label="Street and number")
    line2 = forms.CharField(
        required=False,
        label="Address line 2",
        widget=forms.TextInput(attrs={"placeholder": "Floor, staircase, c/o…"}),
    )
    postcode = forms.CharField()
    city = forms.CharField()
    country = forms.CharField(
        required=False,
        initial=DEFAULT_COUNTRY,
        help_text="Two letters: IT, FR, DE…",
        widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        required=False,
        help_text="A number the courier may call.",
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    is_default = forms.BooleanField(required=False, label="Make it the default")

    def __init__(self, *args, address=None, **kwargs):
        if address is not None:
            kwargs.setdefault(
                "initial", {name: getattr(address, name) for name in TEXT_FIELDS}
            )
        # On the customer page with other forms: its own ids.
        kwargs.setdefault("auto_id", "address_%s")
        super().__init__(*args, **kwargs)
        for name in TEXT_FIELDS:
            field = self.fields[name]
            field.required = name in REQUIRED_FIELDS
            field.error_messages["required"] = "Required."
            field.widget.attrs.update(maxlength=max_length(name), autocomplete="off")
        if address is not None and address.is_default:
            del self.fields["is_default"]

    def clean(self):
        data = super().clean()
        given = {name: data.get(name, "") for name in TEXT_FIELDS}
        try:
            data.update(clean_address_fields(given, partial=False))
        except ValidationFailed as error:
            for name, messages in error.extra.items():
                if name not in self.errors:
                    for message in messages:
                        self.add_error(name, message)
        return data

    def changes(self) -> dict:
        """What the address book's services take: the texts, and ``is_default``
        only when ticked (leaving the box empty moves no default)."""
        changes = {name: self.cleaned_data[name] for name in TEXT_FIELDS}
        if self.cleaned_data.get("is_default"):
            changes["is_default"] = True
        return changes
