"""Invoices for business customers: ask for one on any of your orders, list them on
the order, download the PDF."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.documents import invoice_response
from orders.models import InvoiceKind
from orders.selectors.invoices import find_invoice
from orders.selectors.orders import order_detail
from orders.services.invoices import issue_invoice

from .common import request_customer

MONEY = {"max_digits": 12, "decimal_places": 2}


class InvoiceOutput(serializers.Serializer):
    number = serializers.CharField(help_text="INV-2026-000001; credit notes CN-….")
    kind = serializers.ChoiceField(choices=InvoiceKind.choices)
    issued_at = serializers.DateTimeField()
    currency = serializers.CharField()
    net = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    gross = serializers.DecimalField(**MONEY)
    seller_name = serializers.CharField()
    seller_vat_number = serializers.CharField()
    buyer_company = serializers.CharField()
    buyer_vat_number = serializers.CharField()
    credits = serializers.CharField(
        source="credited_invoice.number",
        allow_null=True,
        default=None,
        help_text="A credit note: the invoice it reduces.",
    )
    pdf = serializers.SerializerMethodField()

    def get_pdf(self, invoice) -> str:
        path = reverse(
            "orders-api:invoice-pdf", args=[invoice.order.number, invoice.number]
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


INVOICE_ERRORS = {
    400: OpenApiResponse(
        description="No VAT number on the profile (`vat_number_required`)"
    ),
    404: OpenApiResponse(description="Unknown order (or someone else's)"),
    409: OpenApiResponse(
        description="Cancelled order, no seller on record, sold before VAT was "
        "recorded, or asked more than `OMNISTORE_INVOICE_REQUEST_DAYS` after the "
        "order (`invoice_window_closed`), or only gift cards sold "
        "(`nothing_to_invoice`)"
    ),
}


class OrderInvoiceView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_invoice",
        request=None,
        responses={200: InvoiceOutput, 201: InvoiceOutput, **INVOICE_ERRORS},
    )
    def post(self, request, number: str):
        """Ask for the invoice of one of my orders (my profile needs a VAT
        number), within `OMNISTORE_INVOICE_REQUEST_DAYS` (30) days of the order
        (later: 409 `invoice_window_closed`, a shop issues it). Numbered in the
        seller's series of the year, without gaps; asking again answers the same
        invoice with 200."""
        order = order_detail(number=number, customer=request_customer(request))
        invoice, created = issue_invoice(
            order=order, actor=request.user, by_customer=True
        )
        return Response(
            InvoiceOutput(invoice, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class InvoicePdfView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_invoice_pdf",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            404: INVOICE_ERRORS[404],
        },
    )
    def get(self, request, number: str, invoice_number: str):
        """An invoice or credit note of one of my orders, as PDF."""
        invoice = find_invoice(
            order_number=number,
            number=invoice_number,
            customer=request_customer(request),
        )
        return invoice_response(invoice)
