"""The admin's privacy actions for a person who asks at a shop or by mail: HQ erases
their personal data (after a page naming who, what they hold and why) or downloads
the export of it, the same file ``GET /api/v1/me/export/`` gives. Each is recorded in
the admin's history (who, when, why)."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from rest_framework.renderers import JSONRenderer

from customers.privacy import balances_held
from customers.selectors.export import export_customer_data, merged_profile_ids
from customers.selectors.identities import survivor_of
from customers.services.erasure import erase_customer
from omnistore.accounts.scoping import in_scope_only
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ApplicationError

# The customers' admin offers these whatever else it lists.


class ErasureForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Request",
        help_text=(
            "Why they are erased: the request's reference (a ticket, the date of the "
            "letter). Recorded with the erasure; do not write the person's name."
        ),
    )
    forfeit_balance = forms.BooleanField(
        required=False,
        label="They give up the store credit and points listed above",
        help_text="Nobody can use them on an erased profile.",
    )


class ErasureAction:
    """Mixed into the customers' admin: the ``erase_selected`` and
    ``export_selected`` actions."""

    def has_erase_permission(self, request) -> bool:
        """Erasing a person's data on their request is HQ's, from every shop's view."""
        return request.user.is_active and request.user.sees_all_stores

    def has_export_personal_data_permission(self, request) -> bool:
        """So is handing a person everything held about them."""
        return self.has_erase_permission(request)

    @admin.action(
        description="Export personal data", permissions=["export_personal_data"]
    )
    def export_selected(self, request, queryset):
        """One person's data as the JSON file they get from ``me/export``, for a
        request made at a shop or by mail; a merged profile stands for its live one.
        One at a time: each file is one person's."""
        selected = list(queryset.order_by("pk")[:2])
        if len(selected) != 1:
            self.message_user(
                request,
                "Select exactly one customer to export: each file holds one "
                "person's data.",
                messages.ERROR,
            )
            return None
        person = survivor_of(selected[0])
        body = JSONRenderer().render(export_customer_data(person))
        self.log_change(request, person, "Personal data exported (downloaded)")
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = (
            f'attachment; filename="customer-{person.pk}-data.json"'
        )
        return response

    def _people(self, queryset) -> list:
        """The live people behind the selected profiles, not erased yet, each with
        its login, the profiles merged into it and the balances it holds."""
        live = {}
        for selected in queryset.order_by("pk"):
            person = survivor_of(selected)
            if not person.is_anonymised:
                live[person.pk] = person
        for person in live.values():
            person.merged_ids = merged_profile_ids(person.pk)
            person.login = person.user.email if person.user_id else ""
            person.balances = balances_held((person.pk, *person.merged_ids))
        return list(live.values())

    @admin.action(
        description="Erase the selected customers' personal data",
        permissions=["erase"],
    )
    @in_scope_only
    def erase_selected(self, request, queryset):
        """A page listing who will be erased, with what each still holds, asking for
        the request it answers; erased once confirmed there. A merged profile stands
        for its person's live one: that is what is named (with its login and the
        profiles merged into it) and erased."""
        customers = self._people(queryset)
        if not customers:
            self.message_user(
                request, "The selected customers are erased already.", messages.INFO
            )
            return None
        confirmed = request.POST.get("confirm") == "erase"
        form = ErasureForm(request.POST if confirmed else None)
        if not confirmed or not form.is_valid():
            return TemplateResponse(
                request,
                "admin/customers/customer/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase personal data",
                    "opts": self.model._meta,
                    "customers": customers,
                    "form": form,
                    "holding": any(c.balances for c in customers),
                    "selected": [c.pk for c in queryset],
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        erased = sum(
            self._erase_one(request, customer, **form.cleaned_data)
            for customer in customers
        )
        if erased:
            self.message_user(
                request,
                f"Erased the personal data of {erased} customer(s); their orders "
                "and ledgers stay, anonymous.",
                messages.SUCCESS,
            )
        return None

    def _erase_one(self, request, customer, *, reason: str, forfeit_balance: bool):
        """Erase one person and record it in the admin's history with the request;
        a refusal (orders still open, a sale waiting on a card terminal, a balance
        not given up) is told, not raised."""
        try:
            with transaction.atomic():
                erased = erase_customer(
                    customer=customer,
                    actor=request.user,
                    channel=Channel.STORE,
                    reason=reason,
                    forfeit_balance=forfeit_balance,
                )
                message = f"Personal data erased: {reason}"
                if forfeit_balance and customer.balances:
                    given_up = ", ".join(b.text for b in customer.balances)
                    message += f"; given up: {given_up}"
                self.log_change(request, erased, message)
        except ApplicationError as error:
            self.message_user(
                request, f"Customer #{customer.pk}: {error.message}", messages.ERROR
            )
            return False
        return True
