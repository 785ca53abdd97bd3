"""Managers' admin for segments, campaigns, automations and messages.

Segments are previewed here (count and the first customers); campaigns are written
here and go out through the actions, which call ``campaigns.services``; messages are a
read-only history. The performance report (with SVG charts) hangs off the campaign list.
"""

from __future__ import annotations

import json
import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from campaigns.channels import MessageChannel
from campaigns.rules import field_reference
from campaigns.selectors.audiences import segment_preview
from campaigns.selectors.reports import campaign_report
from campaigns.services.campaigns import (
    activate_automation,
    cancel_campaign,
    confirm_campaign_edit,
    edit_problems,
    pause_automation,
    schedule_campaign,
    unwritten_messages,
)
from campaigns.services.segments import (
    create_segment,
    segment_rule_errors,
    update_segment,
)
from omnistore.accounts.scoping import ReadOnlyAdmin, ReadOnlyInline, ShopScopedAdmin
from omnistore.core.admin_fields import CheckedJSONField
from omnistore.core.audit import BASELINE_REASON
from omnistore.core.charts import bar_chart
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ApplicationError
from omnistore.core.replica import on_replica, reads_from_replica

from .models import (
    Campaign,
    CampaignStatus,
    CampaignStatusChange,
    Message,
    MessageTemplate,
    Restock,
    Segment,
    StockSnapshot,
    StockWatch,
)

logger = logging.getLogger(__name__)

PREVIEW_FAILED = (
    "The database could not count this segment's customers; change the rules "
    "(fewer rules or shorter lists) and save."
)

LOCKED_STATUSES = (
    CampaignStatus.SENDING,
    CampaignStatus.SENT,
    CampaignStatus.CANCELLED,
)

VERSIONS_SHOWN = 100
VERSION_KINDS = {"+": "Written", "~": "Changed", "-": "Removed"}


class IndentedJSONField(CheckedJSONField):
    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class SegmentForm(forms.ModelForm):
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rules = IndentedJSONField(
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90, "spellcheck": "false"}),
        help_text='Example: {"all": [{"field": "consent.email", "op": "is_true"}, '
        '{"field": "bought_in_store_within_days", "op": "is_true", "value": 90}]}',
    )

    class Meta:
        model = Segment
        fields = ["name", "description", "rules"]

    def clean_rules(self):
        rules = self.cleaned_data["rules"]
        errors = segment_rule_errors(rules)
        if errors:
            raise forms.ValidationError(errors)
        return rules

    def _update_errors(self, errors):
        """Rules refused at their field never reach the segment, so the model's own
        check reads the rules it had before (none, for a new one): its word on them
        is left out, and the field's error is said once."""
        if "rules" in self.errors and hasattr(errors, "error_dict"):
            errors.error_dict.pop("rules", None)
            if not errors.error_dict:
                return
        super()._update_errors(errors)


@admin.register(Segment)
class SegmentAdmin(ShopScopedAdmin, SimpleHistoryAdmin):
    form = SegmentForm
    list_display = ["name", "description", "updated_at", "created_by"]
    list_select_related = ["created_by"]
    search_fields = ["name", "description"]
    readonly_fields = ["preview", "reference"]
    fieldsets = [
        (None, {"fields": ["name", "description", "rules"]}),
        ("Preview", {"fields": ["preview"]}),
        ("Rule fields", {"fields": ["reference"], "classes": ["collapse"]}),
    ]

    @admin.display(description="Customers in the segment now")
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return "Save the segment to see how many customers it selects."
        try:
            # A savepoint: the change page is one transaction, which a refused query
            # would otherwise leave unusable for the rest of the page.
            with transaction.atomic():
                preview = on_replica(segment_preview, obj)
        except ApplicationError as error:
            return error.message
        except DatabaseError:
            logger.warning("Segment %s: preview refused", obj.pk, exc_info=True)
            return PREVIEW_FAILED
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">#{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:customers_customer_change", args=[c.pk]),
                    c.pk,
                    c.full_name or "—",
                    c.email or c.phone or "—",
                    c.preferred_store.name if c.preferred_store_id else "—",
                )
                for c in preview.sample
            ),
        )
        return format_html(
            '<p><strong class="segment-count">{}</strong> customer(s); the first {}:</p>'
            "<table><thead><tr><th>Id</th><th>Name</th><th>Contact</th>"
            "<th>Preferred store</th></tr></thead><tbody>{}</tbody></table>",
            preview.count,
            len(preview.sample),
            rows,
        )

    @admin.display(description="Fields, operators and options")
    def reference(self, obj):
        return format_html(
            "<table><thead><tr><th>Field</th><th>Operators</th><th>Options</th>"
            "<th>Meaning</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        f["field"],
                        ", ".join(f["ops"]) or "—",
                        ", ".join(f["options"] + f["choices"]) or "—",
                        f["help"],
                    )
                    for f in field_reference()
                ),
            ),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            update_segment(
                segment=obj,
                name=data["name"],
                rules=data["rules"],
                description=data.get("description", ""),
            )
        else:
            created = create_segment(
                name=data["name"],
                rules=data["rules"],
                description=data.get("description", ""),
                actor=request.user,
            )
            obj.pk = created.pk
            obj.created_at = created.created_at


class CampaignForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=MessageChannel.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "kind",
            "segment",
            "channels",
            "discount_code",
            "featured_variants",
            "send_at",
            "trigger_after",
        ]

    def clean_discount_code(self):
        return (self.cleaned_data.get("discount_code") or "").strip().upper()

    def _post_clean(self):
        """A scheduled broadcast or an active automation is checked as scheduling
        checked it, on the instance as edited, each reason at its field."""
        super()._post_clean()
        if self.errors:
            return
        for name, problems in edit_problems(self.instance).items():
            for problem in problems:
                self.add_error(name if name in self.fields else None, problem)


class TemplateFormSet(forms.BaseInlineFormSet):
    """Each channel the campaign sends on has its message, written here (each message
    is checked by its model, by the rule sends follow). A campaign that can no longer
    change is left as it is."""

    def clean(self):
        super().clean()
        if self.instance.status in LOCKED_STATUSES:
            return
        kept = [f for f in self.forms if not f.cleaned_data.get("DELETE")]
        if any("channel" in f.errors for f in kept):
            return  # the channel is refused on its own form
        written = {f.cleaned_data.get("channel") for f in kept}
        unwritten = unwritten_messages(self.instance.channels, written)
        if unwritten:
            raise forms.ValidationError(unwritten)


class TemplateInline(admin.StackedInline):
    model = MessageTemplate
    formset = TemplateFormSet
    extra = 0
    fields = ["channel", "subject", "body"]

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status not in LOCKED_STATUSES

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class HistoryInline(ReadOnlyInline):
    model = CampaignStatusChange
    fields = ["at", "get_from_status_display", "to_status", "actor", "note"]
    readonly_fields = fields


@admin.register(Campaign)
class CampaignAdmin(ShopScopedAdmin, SimpleHistoryAdmin):
    form = CampaignForm
    change_list_template = "campaigns/admin/campaign_change_list.html"
    list_display = [
        "name",
        "kind",
        "status",
        "channel_list",
        "segment",
        "send_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["segment"]
    search_fields = ["name", "discount_code"]
    raw_id_fields = ["featured_variants"]
    inlines = [TemplateInline, HistoryInline]
    actions = ["schedule_now", "cancel", "activate", "pause"]
    readonly_fields = [
        "status",
        "report_link",
        "started_at",
        "finished_at",
        "created_by",
        "message_versions",
    ]
    fieldsets = [
        (None, {"fields": ["name", "kind", "status", "segment", "channels"]}),
        ("Content", {"fields": ["discount_code", "featured_variants"]}),
        ("When", {"fields": ["send_at", "trigger_after", "started_at", "finished_at"]}),
        ("Performance", {"fields": ["report_link", "created_by"]}),
        (
            "Earlier versions of its messages",
            {"fields": ["message_versions"], "classes": ["collapse"]},
        ),
    ]

    @admin.display(description="Channels")
    def channel_list(self, obj):
        return ", ".join(MessageChannel(c).label for c in obj.channels or [])

    @admin.display(description="Report")
    def report_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:campaigns_campaign_report") + f"?campaign={obj.pk}"
        return format_html('<a href="{}">Performance of this campaign</a>', url)

    @admin.display(description="Versions, latest first")
    def message_versions(self, obj):
        """What its messages said and since when: a message sent on a day said the
        version of its channel's text current then (who wrote each, the text as
        written; a text written before any change here reads "As it read until
        then" on the line of its first change)."""
        if obj is None or obj.pk is None:
            return "—"
        versions = (
            MessageTemplate.audit.filter(campaign_id=obj.pk)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[:VERSIONS_SHOWN]
        )
        rows = [
            (
                timezone.localtime(v.history_date).strftime("%d %b %Y %H:%M"),
                v.history_user or "—",
                v.get_channel_display(),
                "As it read until then"
                if v.history_change_reason == BASELINE_REASON
                else VERSION_KINDS.get(v.history_type, v.history_type),
                v.subject or "—",
                linebreaksbr(v.body),
            )
            for v in versions
        ]
        if not rows:
            return "Not changed in the admin: its messages read as written below."
        return format_html(
            '<table class="message-versions"><thead><tr><th>When</th><th>Who</th>'
            "<th>Channel</th><th>What</th><th>Subject</th><th>Text</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            format_html_join("", "<tr>" + "<td>{}</td>" * 6 + "</tr>", rows),
        )

    def get_readonly_fields(self, request, obj=None):
        """Everything once sending began; the kind once it left draft (a scheduled
        broadcast, an activated automation), as its messages and history are of
        that kind: another kind is a new campaign."""
        if obj is not None and obj.status in LOCKED_STATUSES:
            return [*self.form.Meta.fields, *self.readonly_fields]
        if obj is not None and obj.status != CampaignStatus.DRAFT:
            return ["kind", *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        """Only a draft that sent nothing, and only for who holds the right."""
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or (
            obj.status == CampaignStatus.DRAFT and not obj.messages.exists()
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Once the messages are saved too, an edited scheduled or active campaign is
        checked as a whole and its discount code tied to it; the form has refused
        what it could see, so a refusal here (a code changed meanwhile) undoes the
        edit."""
        super().save_related(request, form, formsets, change)
        if not change:
            return
        try:
            confirm_campaign_edit(campaign=form.instance, actor=request.user)
        except ApplicationError as error:
            transaction.set_rollback(True)
            self.message_user(request, error.message, messages.ERROR)

    def _each(self, request, queryset, call, done: str):
        ok = 0
        for campaign in queryset:
            try:
                call(campaign=campaign, actor=request.user)
            except ApplicationError as error:
                self.message_user(
                    request, f"{campaign}: {error.message}", messages.ERROR
                )
            else:
                ok += 1
        if ok:
            self.message_user(request, f"{ok} campaign(s) {done}.", messages.SUCCESS)

    @admin.action(
        description="Schedule (send at its time, now if none)", permissions=["change"]
    )
    def schedule_now(self, request, queryset):
        def schedule(*, campaign, actor):
            schedule_campaign(campaign=campaign, send_at=campaign.send_at, actor=actor)

        self._each(request, queryset, schedule, "scheduled")

    @admin.action(description="Cancel sending", permissions=["change"])
    def cancel(self, request, queryset):
        self._each(request, queryset, cancel_campaign, "cancelled")

    @admin.action(description="Activate automation", permissions=["change"])
    def activate(self, request, queryset):
        self._each(request, queryset, activate_automation, "activated")

    @admin.action(description="Pause automation", permissions=["change"])
    def pause(self, request, queryset):
        self._each(request, queryset, pause_automation, "paused")

    def get_urls(self):
        report = path(
            "report/",
            self.admin_site.admin_view(self.report_view),
            name="campaigns_campaign_report",
        )
        return [report, *super().get_urls()]

    @reads_from_replica
    def report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        ids = None
        chosen = request.GET.get("campaign", "")
        if is_digits(chosen):
            ids = [int(chosen)]
        report = campaign_report(campaign_ids=ids)
        shown = report.campaigns[:25]
        rates = bar_chart(
            "Open and click rate per campaign",
            [(c.name, [c.open_rate, c.click_rate]) for c in shown],
            series=["Open rate", "Click rate"],
            unit="%",
            max_value=100,
        )
        revenue = bar_chart(
            "Attributed revenue per campaign",
            [(c.name, [c.revenue]) for c in shown],
            series=["Revenue"],
            unit="money",
        )
        groups = [report.single, report.multi]
        comparison = bar_chart(
            "Single-channel vs multi-channel campaigns",
            [(g.label, [g.open_rate, g.click_rate, g.conversion_rate]) for g in groups],
            series=["Open rate", "Click rate", "Conversion rate"],
            unit="%",
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Campaign performance",
            "report": report,
            "groups": groups,
            "charts": [rates, revenue, comparison],
            "chosen": ids[0] if ids else None,
        }
        return TemplateResponse(request, "campaigns/admin/report.html", context)


@admin.register(Restock)
class RestockAdmin(ReadOnlyAdmin):
    """Wished variants that came back: what back-in-stock messages are about."""

    list_display = ["at", "variant", "where", "number", "units"]
    list_select_related = ["variant__product", "location"]
    search_fields = ["=variant__sku", "variant__product__name"]
    date_hierarchy = "at"

    @admin.display(description="Where", ordering="location__name")
    def where(self, obj):
        return obj.location.name if obj.location_id else "Online"


@admin.register(StockSnapshot)
class StockSnapshotAdmin(ReadOnlyAdmin):
    """Units of wished variants as last seen by the back-in-stock step."""

    list_display = ["variant", "location", "units", "observed_at"]
    list_select_related = ["variant__product", "location"]
    search_fields = ["=variant__sku", "variant__product__name"]


@admin.register(StockWatch)
class StockWatchAdmin(ReadOnlyAdmin):
    """Stock changes of wished variants waiting for the next automation run."""

    list_display = ["created_at", "variant", "location"]
    list_select_related = ["variant__product", "location"]


@admin.register(Message)
class MessageAdmin(ShopScopedAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "campaign",
        "customer",
        "channel",
        "status",
        "sent_at",
        "opened_at",
        "clicked_at",
    ]
    list_filter = ["channel", "status", "campaign__kind"]
    list_select_related = ["campaign", "customer"]
    search_fields = ["campaign__name", "customer__last_name", "trigger_key"]
    raw_id_fields = ["campaign", "customer"]
    readonly_fields = [*(f.name for f in Message._meta.fields), "written_then"]
    date_hierarchy = "created_at"

    @admin.display(description="Its message as written then (before personalising)")
    def written_then(self, message):
        """A message keeps no copy of its text: it is its campaign's version for the
        channel at the time it was sent (made, if never sent)."""
        written = MessageTemplate.written_then(
            campaign_id=message.campaign_id,
            channel=message.channel,
            when=message.sent_at or message.created_at,
        )
        if written is None:
            return "—"
        subject, body = written
        return format_html(
            "<p><strong>{}</strong></p><p>{}</p>", subject or "—", linebreaksbr(body)
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
