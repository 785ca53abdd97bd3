from django.urls import path

from . import views, wishlists

app_name = "customers-api"

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/consents/", views.MeConsentsView.as_view(), name="me-consents"),
    path("me/timeline/", views.MeTimelineView.as_view(), name="me-timeline"),
    path("me/export/", views.MeExportView.as_view(), name="me-export"),
    path("me/erase/", views.MeEraseView.as_view(), name="me-erase"),
]

urlpatterns += [
    path("wishlists/", wishlists.WishlistListView.as_view(), name="wishlist-list"),
    path(
        "wishlists/shared/<str:token>/",
        wishlists.SharedWishlistView.as_view(),
        name="wishlist-shared",
    ),
    path(
        "wishlists/<int:pk>/",
        wishlists.WishlistDetailView.as_view(),
        name="wishlist-detail",
    ),
    path(
        "wishlists/<int:pk>/items/",
        wishlists.WishlistItemsView.as_view(),
        name="wishlist-items",
    ),
    path(
        "wishlists/<int:pk>/items/<int:item_id>/",
        wishlists.WishlistItemView.as_view(),
        name="wishlist-item",
    ),
    path(
        "wishlists/<int:pk>/share/",
        wishlists.WishlistShareView.as_view(),
        name="wishlist-share",
    ),
]
