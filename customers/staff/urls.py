from django.urls import path

from . import views, wishlist_views

urlpatterns = [
    path("", views.customer_search, name="customer_search"),
    path("new/", views.customer_create, name="customer_create"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/timeline/", views.customer_timeline, name="customer_timeline"),
    path("<int:pk>/notes/", views.customer_add_note, name="customer_add_note"),
    path("<int:pk>/merge/", views.customer_merge, name="customer_merge"),
    path(
        "duplicates/<int:pk>/dismiss/",
        views.duplicate_dismiss,
        name="customer_duplicate_dismiss",
    ),
]

urlpatterns += [
    path(
        "<int:pk>/wishlists/",
        wishlist_views.customer_wishlists,
        name="customer_wishlists",
    ),
    path(
        "<int:pk>/wishlists/add/",
        wishlist_views.wishlist_add,
        name="customer_wishlist_add",
    ),
    path(
        "<int:pk>/wishlists/items/<int:item_id>/remove/",
        wishlist_views.wishlist_remove,
        name="customer_wishlist_remove",
    ),
]
