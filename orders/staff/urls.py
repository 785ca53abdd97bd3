from django.urls import path

# Imported for its registrations: the dashboard and customer page panels.
from orders.staff.views import (
    associate_sales,
    cart_panel,
    customer_orders,
    delivery_address,
    exchanges,
    giftcards,
    invoices,
    manager,
    orders,
    panels,  # noqa: F401
    picking,
    pickups,
    receipts,
    returns,
    sale,
    sale_channel,
    sale_customer,
    sale_gift_cards,
    sale_helpers,
    sale_items,
    sale_prices,
    sale_waiver,
    shortage,
    terminals,
    till,
)

urlpatterns = [
    path("", orders.order_search, name="order_search"),
    path("sale/", sale.sale, name="sale"),
    path(
        "gift-cards/balance/",
        giftcards.gift_card_balance_page,
        name="gift_card_balance",
    ),
    path(
        "gift-cards/unlock/",
        giftcards.gift_card_unlock,
        name="gift_card_unlock",
    ),
    path("sale/add/", sale.sale_add, name="sale_add"),
    path("sale/lines/<int:line_id>/", sale.sale_line, name="sale_line"),
    path("sale/customer/", sale_customer.sale_customer, name="sale_customer"),
    path("sale/phone/", sale_channel.sale_phone, name="sale_phone"),
    path(
        "sale/gift-cards/",
        sale_gift_cards.sale_gift_card_add,
        name="sale_gift_card_add",
    ),
    path(
        "sale/gift-cards/<int:index>/remove/",
        sale_gift_cards.sale_gift_card_remove,
        name="sale_gift_card_remove",
    ),
    path("sale/discount/", sale_prices.sale_discount, name="sale_discount"),
    path(
        "sale/lines/<int:line_id>/helper/",
        sale_helpers.sale_line_helper,
        name="sale_line_helper",
    ),
    path(
        "sale/lines/<int:line_id>/price/",
        sale_prices.sale_line_price,
        name="sale_line_price",
    ),
    path(
        "sale/delivery-waiver/",
        sale_waiver.sale_delivery_waiver,
        name="sale_delivery_waiver",
    ),
    path("sale/checkout/", sale.sale_checkout, name="sale_checkout"),
    path("sale/clear/", sale.sale_clear, name="sale_clear"),
    path("receipt/<str:number>/", receipts.sale_receipt, name="sale_receipt"),
    path("receipt/<str:number>/print/", receipts.receipt_print, name="receipt_print"),
    path("receipt/<str:number>/email/", receipts.receipt_email, name="receipt_email"),
    path("<str:number>/invoice/", invoices.invoice_issue, name="invoice_issue"),
    path(
        "<str:number>/invoices/<str:invoice_number>.pdf",
        invoices.invoice_pdf,
        name="invoice_pdf",
    ),
    path(
        "sale/terminal/<str:reference>/",
        terminals.sale_terminal,
        name="sale_terminal",
    ),
    path(
        "sale/terminal/<str:reference>/cancel/",
        terminals.sale_terminal_cancel,
        name="sale_terminal_cancel",
    ),
    path(
        "sale/terminal/<str:reference>/simulate/",
        terminals.sale_terminal_simulate,
        name="sale_terminal_simulate",
    ),
    path("picking/", picking.picking, name="picking"),
    path("pickup/", pickups.pickup_desk, name="pickup_desk"),
    path("pickup/<str:number>/", pickups.pickup_collect, name="pickup_collect"),
    path("pickup/<str:number>/unlock/", pickups.pickup_unlock, name="pickup_unlock"),
    path("pickup/<str:number>/slip/", pickups.pickup_slip, name="pickup_slip"),
    path("<str:number>/", orders.order_detail, name="order_detail"),
    path("<str:number>/pick/", orders.order_pick, name="order_pick"),
    path("<str:number>/ready/", orders.order_ready, name="order_ready"),
    path("<str:number>/ship/", orders.order_ship, name="order_ship"),
    path("<str:number>/deliver/", orders.order_deliver, name="order_deliver"),
    path("<str:number>/cancel/", orders.order_cancel, name="order_cancel"),
    path(
        "<str:number>/not-on-shelf/",
        shortage.order_not_on_shelf,
        name="order_not_on_shelf",
    ),
    path(
        "transfer/<int:pk>/not-on-shelf/",
        shortage.transfer_not_on_shelf,
        name="transfer_not_on_shelf",
    ),
    path(
        "<str:number>/address/",
        delivery_address.order_address,
        name="order_address",
    ),
]

# A customer's whole history, linked from their page. Its paths go first too.

urlpatterns[:0] = [
    path(
        "customer/<int:pk>/",
        customer_orders.customer_order_history,
        name="customer_order_history",
    ),
    path(
        "customer/<int:pk>/returns/",
        customer_orders.customer_return_history,
        name="customer_return_history",
    ),
]

# The returns desk. Its paths go first: "<number>/" above would take "returns/".

urlpatterns[:0] = [
    path("returns/", returns.returns_desk, name="returns_desk"),
    path(
        "returns/order/<str:number>/",
        returns.return_start,
        name="return_start",
    ),
    path(
        "returns/order/<str:number>/exchange/",
        exchanges.return_exchange,
        name="return_exchange",
    ),
    path("returns/<str:code>/", returns.return_detail, name="return_detail"),
    path(
        "returns/<str:code>/receipt/",
        receipts.return_receipt_print,
        name="return_receipt_print",
    ),
    path(
        "returns/<str:code>/receive/",
        returns.return_receive,
        name="return_receive",
    ),
    path("returns/<str:code>/refund/", returns.return_refund, name="return_refund"),
    path("returns/<str:code>/close/", returns.return_close, name="return_close"),
    path(
        "returns/<str:code>/close-without-refund/",
        returns.return_close_unrefunded,
        name="return_close_unrefunded",
    ),
    path("returns/<str:code>/cancel/", returns.return_cancel, name="return_cancel"),
]

# The till. Its paths go first too.

urlpatterns[:0] = [
    path("till/", till.till, name="till"),
    path("till/register/", till.till_register, name="till_register"),
    path("till/open/", till.till_open, name="till_open"),
    path("till/cash/", till.till_cash, name="till_cash"),
    path("till/close/", till.till_close, name="till_close"),
    path("till/sessions/<int:session_id>/", till.till_report, name="till_report"),
]

# The manager pages. Their paths go first too.

urlpatterns[:0] = [
    path("manager/", manager.manager_day, name="manager_day"),
    path("manager/day.csv", manager.manager_day_csv, name="manager_day_csv"),
    path(
        "manager/associates/",
        associate_sales.associate_sales,
        name="associate_sales",
    ),
    path(
        "manager/associates.csv",
        associate_sales.associate_sales_csv,
        name="associate_sales_csv",
    ),
]

# The sale from other screens (item page, wishlists, a customer's online cart) and
# parked sales.

urlpatterns[:0] = [
    path("sale/take/", sale_items.sale_take, name="sale_take"),
    path("sale/take/cart/<int:pk>/", cart_panel.sale_take_cart, name="sale_take_cart"),
    path("sale/park/", sale_items.sale_park, name="sale_park"),
    path("sale/parked/<int:index>/", sale_items.sale_resume, name="sale_resume"),
]
