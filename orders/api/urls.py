from django.urls import path

from . import (
    carts,
    checkout,
    credit,
    delivery_address,
    giftcards,
    invoices,
    loyalty,
    orders,
    payment_intents,
    payments,
    receipts,
    returns,
)

app_name = "orders-api"

urlpatterns = [
    path("cart/", carts.CartView.as_view(), name="cart"),
    path("cart/lines/", carts.CartLinesView.as_view(), name="cart-lines"),
    path("cart/lines/<int:line_id>/", carts.CartLineView.as_view(), name="cart-line"),
    path("checkout/", checkout.CheckoutView.as_view(), name="checkout"),
    path("checkout/buy-now/", checkout.BuyNowView.as_view(), name="checkout-buy-now"),
    path(
        "checkout/payment-intent/",
        payment_intents.PaymentIntentView.as_view(),
        name="checkout-payment-intent",
    ),
    path("me/loyalty/", loyalty.MeLoyaltyView.as_view(), name="me-loyalty"),
    path(
        "me/loyalty/points/",
        loyalty.MeLoyaltyPointsView.as_view(),
        name="me-loyalty-points",
    ),
    path(
        "me/store-credit/", credit.MeStoreCreditView.as_view(), name="me-store-credit"
    ),
    path(
        "gift-cards/balance/",
        giftcards.GiftCardBalanceView.as_view(),
        name="gift-card-balance",
    ),
    path(
        "gift-cards/purchase/",
        giftcards.EGiftPurchaseView.as_view(),
        name="gift-card-purchase",
    ),
    path("orders/", orders.OrderListView.as_view(), name="order-list"),
    path("orders/<str:number>/", orders.OrderDetailView.as_view(), name="order-detail"),
    path(
        "orders/<str:number>/cancel/",
        orders.OrderCancelView.as_view(),
        name="order-cancel",
    ),
    path(
        "orders/<str:number>/address/",
        delivery_address.OrderAddressView.as_view(),
        name="order-address",
    ),
]

# Receipts and invoices of an order (and the refund receipt of a return).

urlpatterns += [
    path(
        "orders/<str:number>/receipt/",
        receipts.OrderReceiptView.as_view(),
        name="order-receipt",
    ),
    path(
        "orders/<str:number>/invoice/",
        invoices.OrderInvoiceView.as_view(),
        name="order-invoice",
    ),
    path(
        "orders/<str:number>/invoices/<str:invoice_number>.pdf",
        invoices.InvoicePdfView.as_view(),
        name="invoice-pdf",
    ),
    path(
        "returns/<str:code>/receipt/",
        receipts.ReturnReceiptView.as_view(),
        name="return-receipt",
    ),
]

# Returns: started online, brought to any shop.

urlpatterns += [
    path("returns/", returns.ReturnListView.as_view(), name="return-list"),
    path(
        "returns/<str:code>/", returns.ReturnDetailView.as_view(), name="return-detail"
    ),
    path("returns/<str:code>/qr.png", returns.ReturnQrView.as_view(), name="return-qr"),
    path(
        "returns/<str:code>/cancel/",
        returns.ReturnCancelView.as_view(),
        name="return-cancel",
    ),
]

# Payment providers calling back.

urlpatterns += [
    path(
        "payments/stripe/webhook/",
        payments.StripeWebhookView.as_view(),
        name="stripe-webhook",
    ),
]
