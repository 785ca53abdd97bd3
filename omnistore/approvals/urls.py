from django.urls import path

from omnistore.approvals import views

urlpatterns = [
    path("", views.approval_queue, name="approval_queue"),
    path("pin/", views.my_pin, name="approval_my_pin"),
    path("mine/", views.my_requests, name="approval_mine"),
    path("<int:pk>/", views.approval_status, name="approval_status"),
    path("<int:pk>/pin/", views.approval_pin, name="approval_pin"),
    path("<int:pk>/cancel/", views.approval_cancel, name="approval_cancel"),
    path("<int:pk>/withdraw/", views.approval_withdraw, name="approval_withdraw"),
    path("<int:pk>/seen/", views.approval_seen, name="approval_seen"),
    path("<int:pk>/decide/", views.approval_decide, name="approval_decide"),
]
