from django.urls import path

from . import views

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
