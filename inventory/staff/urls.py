from django.urls import path

from . import low_stock, transfers, views

urlpatterns = [
    path("", views.stock_lookup, name="stock_lookup"),
    path("code/", views.stock_code, name="stock_code"),
    path("find/", views.stock_find, name="stock_find"),
    path("variant/<int:pk>/", views.stock_variant, name="stock_variant"),
    path("receive/", views.stock_receive, name="stock_receive"),
    path("adjust/", views.stock_adjust, name="stock_adjust"),
    path("count/", views.stock_count, name="stock_count"),
    path("count/held/", views.stock_count_held, name="stock_count_held"),
    path("low/", low_stock.low_stock, name="low_stock"),
    path("low/seen/", low_stock.low_stock_seen, name="low_stock_seen"),
    path("transfers/", transfers.transfer_list, name="transfer_list"),
    path("transfers/new/", transfers.transfer_create, name="transfer_create"),
    path("transfers/<int:pk>/", transfers.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/ship/", transfers.transfer_ship, name="transfer_ship"),
    path(
        "transfers/<int:pk>/receive/",
        transfers.transfer_receive,
        name="transfer_receive",
    ),
    path(
        "transfers/<int:pk>/cancel/", transfers.transfer_cancel, name="transfer_cancel"
    ),
    path("transfers/<int:pk>/close/", transfers.transfer_close, name="transfer_close"),
]
