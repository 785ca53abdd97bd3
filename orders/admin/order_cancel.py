"""The Cancel button on an order's own admin page: a reason, then ``cancel_order``
(stock released, payments refunded, history and customer told). Shown only while the
order's status may move to cancelled (``ORDER_MOVES``) and to whoever may cancel.

The admin is no counter: an order still holding cash it was paid is cancelled at the
shop that sold it, whose till gives the cash back. Its page here says so and changes
nothing, and *Cancel selected orders* lists it as left out (``cash_held``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from omnistore.core.exceptions import ApplicationError
from orders.models import CANCELLABLE_STATUSES, OrderStatus
from orders.selectors.access import cancelled_at_its_shop, sold_or_fulfilled_here
from orders.selectors.pickups import cash_held
from orders.services.fulfilment import can_move, cancel_order

NOT_YOURS = (
    "is cancelled by the shop that took it, ships it or hands it over, not by a "
    "shop that only sends it stock"
)
SHOWN = 50  # orders listed on the cancel confirmation page


class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Reason (kept in the order's history and told to the customer)",
        widget=forms.TextInput(attrs={"size": 60}),
    )


class OrderCancelPage:
    """Mixed into the order admin: the button's context and its page."""

    def may_cancel(self, request, order) -> bool:
        return (
            self.has_cancel_permission(request)
            and can_move(order, OrderStatus.CANCELLED)
            and sold_or_fulfilled_here(request.user, order)
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["may_cancel"] = obj is not None and self.may_cancel(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def cancel_view(self, request, object_id):
        order = self.get_object(request, object_id)  # another shop's order: 404
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        back = reverse("admin:orders_order_change", args=[order.pk])
        if not can_move(order, OrderStatus.CANCELLED):  # cancelled meanwhile, or sent
            self.message_user(
                request,
                f"{order.number} can no longer be cancelled: it is "
                f"{order.get_status_display().lower()}.",
                level=messages.WARNING,
            )
            return HttpResponseRedirect(back)
        if not sold_or_fulfilled_here(request.user, order):
            raise PermissionDenied(f"{order.number} {NOT_YOURS}.")
        at_its_shop = cancelled_at_its_shop(order)  # its cash: from a shop's till
        if at_its_shop:
            self.message_user(request, at_its_shop, level=messages.ERROR)
            return HttpResponseRedirect(back)
        form = CancelOrderForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                cancel_order(
                    order=order, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as error:
                self.message_user(request, error.message, level=messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{order.number} cancelled: stock released, payments refunded.",
                    level=messages.SUCCESS,
                )
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cancel order {order.number}",
            "opts": self.model._meta,
            "original": order,
            "form": form,
            "back": back,
        }
        return TemplateResponse(
            request,
            "admin/orders/order/cancel.html",
            context,
            status=422 if request.method == "POST" else 200,
        )

    def cancel_orders_page(self, request, queryset, form):
        """*Cancel selected orders* asking for a reason: the orders it cancels and,
        apart, those it leaves out: holding cash (``cash_held``), which the till of
        the shop that sold them gives back."""
        holding = queryset.filter(
            status__in=CANCELLABLE_STATUSES, pk__in=cash_held().values("order_id")
        )
        cancelled = queryset.exclude(pk__in=holding.values("pk"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancel orders",
            "orders": list(cancelled.select_related("customer")[:SHOWN]),
            "count": cancelled.count(),
            "left_out": list(holding.select_related("placing_location")[:SHOWN]),
            "left_count": holding.count(),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(
            request, "orders/staff/admin_cancel_orders.html", context
        )
