"""The admin's erasure of customers' personal data, asked by them at a shop or by
mail: HQ selects them, reads who will be erased, and confirms."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from customers.selectors.export import merged_profile_ids
from customers.selectors.identities import survivor_of
from customers.services.erasure import erase_customer
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ApplicationError


class ErasureAction:
    """Mixed into the customers' admin: the ``erase_selected`` action."""

    def has_erase_permission(self, request) -> bool:
        """Erasing a person's data on their request is HQ's, from every shop's view."""
        return request.user.is_active and request.user.sees_all_stores

    @admin.action(
        description="Erase the selected customers' personal data",
        permissions=["erase"],
    )
    def erase_selected(self, request, queryset):
        """A page listing who will be erased first; erased once confirmed there.
        A merged profile stands for its person's live one: that is what is named
        (with its login and the profiles merged into it) and erased."""
        live = {}
        for selected in queryset.order_by("pk"):
            person = survivor_of(selected)
            if not person.is_anonymised:
                live[person.pk] = person
        customers = list(live.values())
        for person in customers:
            person.merged_ids = merged_profile_ids(person.pk)
            person.login = person.user.email if person.user_id else ""
        if not customers:
            self.message_user(
                request, "The selected customers are erased already.", messages.INFO
            )
            return None
        if request.POST.get("confirm") != "erase":
            return TemplateResponse(
                request,
                "admin/customers/customer/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase personal data",
                    "opts": self.model._meta,
                    "customers": customers,
                    "selected": [c.pk for c in queryset],
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        erased = 0
        for customer in customers:
            try:
                erase_customer(
                    customer=customer, actor=request.user, channel=Channel.STORE
                )
            except ApplicationError as error:  # orders still open: not erased
                self.message_user(
                    request, f"Customer #{customer.pk}: {error.message}", messages.ERROR
                )
            else:
                erased += 1
        if erased:
            self.message_user(
                request,
                f"Erased the personal data of {erased} customer(s); their orders "
                "and ledgers stay, anonymous.",
                messages.SUCCESS,
            )
        return None
