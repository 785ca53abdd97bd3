from django.urls import path

from . import views

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
