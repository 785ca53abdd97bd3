from django import forms
from django.contrib import admin
from django.db import models

from . import outbox, webhooks
from .admin_fields import CheckedJSONField
from .models import OutboxMessage, WebhookDelivery, WebhookEndpoint


class OutboxStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("waiting", "Waiting to be sent"),
            ("given_up", f"Given up after {outbox.MAX_ATTEMPTS} attempts"),
            ("sent", "Sent"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "sent":
            return queryset.filter(processed_at__isnull=False)
        if value == "waiting":
            return queryset.filter(
                processed_at__isnull=True, attempts__lt=outbox.MAX_ATTEMPTS
            )
        if value == "given_up":
            return queryset.filter(
                processed_at__isnull=True, attempts__gte=outbox.MAX_ATTEMPTS
            )
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "created_at", "processed_at", "attempts"]
    list_filter = [OutboxStateFilter, "topic"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["send_again"]

    @admin.action(
        description="Send again now (those not sent yet)", permissions=["change"]
    )
    def send_again(self, request, queryset):
        """Once the cause is fixed (a relay back, a handler mended): the selected
        rows not sent are due at once, with a fresh count of attempts."""
        rows = list(queryset.filter(processed_at__isnull=True))
        count = outbox.send_again(queryset.filter(pk__in=[r.pk for r in rows]))
        for row in rows:
            self.log_change(request, row, "Sent again")
        noun = "message is" if count == 1 else "messages are"
        self.message_user(request, f"{count} {noun} due again now.")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WebhookEndpointForm(forms.ModelForm):
    def clean_event_types(self):
        """An empty box is every event, as the field says: saved as an empty list."""
        value = self.cleaned_data["event_types"]
        return [] if value is None else value


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    # A URL typed without a scheme is read as https (plain http is refused in production).
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.JSONField: {"form_class": CheckedJSONField},
    }


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "created_at",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["deliver_again"]

    @admin.action(
        description="Deliver again now (those not delivered)", permissions=["change"]
    )
    def deliver_again(self, request, queryset):
        """A subscriber back after the attempts ran out: the selected deliveries not
        made are due at once, with a fresh count of attempts."""
        rows = list(queryset.exclude(status=WebhookDelivery.Status.DELIVERED))
        count = webhooks.deliver_again(queryset.filter(pk__in=[r.pk for r in rows]))
        for row in rows:
            self.log_change(request, row, "Delivered again")
        noun = "delivery is" if count == 1 else "deliveries are"
        self.message_user(request, f"{count} {noun} due again now.")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
