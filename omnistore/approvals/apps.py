from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Between the staff shell (shop scoping, HTMX helpers) and the apps whose actions
    ask for a manager: it knows shops and users, never orders or returns."""

    name = "omnistore.approvals"
    label = "approvals"
    verbose_name = "Approvals"
