from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.change_password, name="password_change"),
    path("store/", views.switch_store, name="switch_store"),
    path("stock/", include("inventory.staff.urls")),
    path("customers/", include("customers.staff.urls")),
    path("appointments/", include("customers.staff.appointment_urls")),
    path("clients/", include("customers.staff.clients_urls")),
    path("orders/", include("orders.staff.urls")),
    path("approvals/", include("omnistore.approvals.urls")),
]
