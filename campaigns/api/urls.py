from django.urls import path

from . import views

app_name = "campaigns-api"

urlpatterns = [
    path("campaigns/segments/", views.SegmentListView.as_view(), name="segments"),
    path(
        "campaigns/segments/preview/",
        views.SegmentPreviewView.as_view(),
        name="segment-preview",
    ),
    path(
        "campaigns/segments/<int:pk>/preview/",
        views.SavedSegmentPreviewView.as_view(),
        name="saved-segment-preview",
    ),
    path("campaigns/rule-fields/", views.RuleFieldsView.as_view(), name="rule-fields"),
    path("campaigns/report/", views.ReportView.as_view(), name="report"),
]
