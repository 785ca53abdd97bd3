from django.urls import path

from . import (
    accounts,
    addresses,
    appointments,
    browsing,
    me,
    messages,
    sessions,
    sizes,
    wishlists,
)

app_name = "customers-api"

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="register"),
    path("auth/token/", accounts.TokenView.as_view(), name="token"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("auth/session/", sessions.SessionView.as_view(), name="session"),
    path(
        "auth/password-reset/",
        accounts.PasswordResetView.as_view(),
        name="password-reset",
    ),
    path(
        "auth/password-reset/confirm/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("me/", me.MeView.as_view(), name="me"),
    path("me/password/", accounts.PasswordChangeView.as_view(), name="me-password"),
    path("me/verify/", accounts.VerifyRequestView.as_view(), name="me-verify"),
    path(
        "me/verify/confirm/",
        accounts.VerifyConfirmView.as_view(),
        name="me-verify-confirm",
    ),
    path("me/claim/", accounts.ClaimView.as_view(), name="me-claim"),
    path("me/consents/", me.MeConsentsView.as_view(), name="me-consents"),
    path("me/timeline/", me.MeTimelineView.as_view(), name="me-timeline"),
    path("me/sizes/", sizes.MeSizesView.as_view(), name="me-sizes"),
    path("me/addresses/", addresses.MyAddressesView.as_view(), name="me-addresses"),
    path(
        "me/addresses/<int:pk>/",
        addresses.MyAddressView.as_view(),
        name="me-address",
    ),
    path("me/export/", me.MeExportView.as_view(), name="me-export"),
    path("me/erase/", me.MeEraseView.as_view(), name="me-erase"),
    path(
        "me/recently-viewed/",
        browsing.RecentlyViewedView.as_view(),
        name="me-recently-viewed",
    ),
    path("events/", browsing.BrowseEventsView.as_view(), name="browse-events"),
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
    path(
        "wishlists/<int:pk>/share-link/",
        wishlists.WishlistLinkView.as_view(),
        name="wishlist-share-link",
    ),
]

urlpatterns += [
    path("me/messages/", messages.MessagesView.as_view(), name="me-messages"),
    path(
        "me/messages/<int:pk>/",
        messages.MessageThreadView.as_view(),
        name="me-message-thread",
    ),
    path(
        "wishlists/<int:pk>/items/<int:item_id>/contact/",
        messages.WishlistItemContactView.as_view(),
        name="wishlist-item-contact",
    ),
    path(
        "shops/<int:pk>/appointment-slots/",
        appointments.AppointmentSlotsView.as_view(),
        name="appointment-slots",
    ),
    path(
        "me/appointments/",
        appointments.MyAppointmentsView.as_view(),
        name="me-appointments",
    ),
    path(
        "me/appointments/<int:pk>/",
        appointments.MyAppointmentView.as_view(),
        name="me-appointment",
    ),
    path(
        "me/appointments/<int:pk>/cancel/",
        appointments.MyAppointmentCancelView.as_view(),
        name="me-appointment-cancel",
    ),
]
