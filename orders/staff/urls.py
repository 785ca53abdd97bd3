from django.urls import path

from . import returns_views, views

urlpatterns = [
    path("", views.order_search, name="order_search"),
    path("sale/", views.sale, name="sale"),
    path("sale/add/", views.sale_add, name="sale_add"),
    path("sale/lines/<int:line_id>/", views.sale_line, name="sale_line"),
    path("sale/customer/", views.sale_customer, name="sale_customer"),
    path("sale/discount/", views.sale_discount, name="sale_discount"),
    path("sale/checkout/", views.sale_checkout, name="sale_checkout"),
    path("sale/clear/", views.sale_clear, name="sale_clear"),
    path("receipt/<str:number>/", views.sale_receipt, name="sale_receipt"),
    path("picking/", views.picking, name="picking"),
    path("pickup/", views.pickup_desk, name="pickup_desk"),
    path("pickup/<str:number>/", views.pickup_collect, name="pickup_collect"),
    path("<str:number>/", views.order_detail, name="order_detail"),
    path("<str:number>/pick/", views.order_pick, name="order_pick"),
    path("<str:number>/ready/", views.order_ready, name="order_ready"),
    path("<str:number>/ship/", views.order_ship, name="order_ship"),
    path("<str:number>/cancel/", views.order_cancel, name="order_cancel"),
]

# The returns desk. Its paths go first: "<number>/" above would take "returns/".

urlpatterns[:0] = [
    path("returns/", returns_views.returns_desk, name="returns_desk"),
    path(
        "returns/order/<str:number>/",
        returns_views.return_start,
        name="return_start",
    ),
    path(
        "returns/order/<str:number>/exchange/",
        returns_views.return_exchange,
        name="return_exchange",
    ),
    path("returns/<str:code>/", returns_views.return_detail, name="return_detail"),
    path(
        "returns/<str:code>/receive/",
        returns_views.return_receive,
        name="return_receive",
    ),
    path(
        "returns/<str:code>/refund/", returns_views.return_refund, name="return_refund"
    ),
    path("returns/<str:code>/close/", returns_views.return_close, name="return_close"),
    path(
        "returns/<str:code>/cancel/", returns_views.return_cancel, name="return_cancel"
    ),
]
