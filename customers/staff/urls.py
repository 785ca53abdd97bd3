from django.urls import path

from . import clientbook, customers, inbox, wishlists

urlpatterns = [
    path("", customers.customer_search, name="customer_search"),
    path("new/", customers.customer_create, name="customer_create"),
    path("<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("<int:pk>/timeline/", customers.customer_timeline, name="customer_timeline"),
    path("<int:pk>/notes/", customers.customer_add_note, name="customer_add_note"),
    path("<int:pk>/merge/", customers.customer_merge, name="customer_merge"),
    path("<int:pk>/consents/", customers.customer_consent, name="customer_consent"),
    path(
        "<int:pk>/addresses/",
        customers.customer_address_book,
        name="customer_addresses",
    ),
    path(
        "<int:pk>/addresses/new/",
        customers.customer_address_add,
        name="customer_address_add",
    ),
    path(
        "<int:pk>/addresses/<int:address_id>/",
        customers.customer_address_edit,
        name="customer_address_edit",
    ),
    path(
        "<int:pk>/addresses/<int:address_id>/remove/",
        customers.customer_address_remove,
        name="customer_address_remove",
    ),
    path(
        "duplicates/<int:pk>/dismiss/",
        customers.duplicate_dismiss,
        name="customer_duplicate_dismiss",
    ),
]

urlpatterns += [
    path(
        "<int:pk>/wishlists/",
        wishlists.customer_wishlists,
        name="customer_wishlists",
    ),
    path(
        "<int:pk>/wishlists/add/",
        wishlists.wishlist_add,
        name="customer_wishlist_add",
    ),
    path(
        "<int:pk>/wishlists/items/<int:item_id>/remove/",
        wishlists.wishlist_remove,
        name="customer_wishlist_remove",
    ),
]

urlpatterns += [
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/unread/", inbox.inbox_unread, name="inbox_unread"),
    path("inbox/<int:pk>/", inbox.inbox_thread, name="inbox_thread"),
    path("inbox/<int:pk>/reply/", inbox.inbox_reply, name="inbox_reply"),
    path("<int:pk>/associate/", clientbook.customer_assign, name="customer_assign"),
    path(
        "<int:pk>/tasks/", clientbook.customer_task_create, name="customer_task_create"
    ),
]
