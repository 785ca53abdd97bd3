"""What each role may do in the admin, model by model: the design written down as
data (the same table as docs/roles.md) and checked against every registered admin.

Letters: v view, a add, c change, d delete ("-" refused). A store manager and an area
manager hold the same rights (they differ in how many shops they see); an associate
holds none and is not let into /admin/ at all. Actions are those offered on the list
page; an action not listed is refused."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from omnistore.accounts.models import Role
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["associate", "store_manager", "area_manager", "hq", "superuser"]
HQ_ALL = ["hq", "superuser"]

# model: {role: "vacd" or with "-" for refused}; a role not named is refused everything.
PERMISSIONS: dict[str, dict[str, str]] = {
    "accounts.User": {"superuser": "vac-"},
    "approvals.Approval": {"hq": "v---", "superuser": "v---"},
    "approvals.ApprovalPin": {"hq": "v-c-", "superuser": "v-c-"},
    "inventory.LegalEntity": {"hq": "vac-", "superuser": "vac-"},
    "inventory.Market": {"hq": "vacd", "superuser": "vacd"},
    "inventory.PriceList": {"hq": "vacd", "superuser": "vacd"},
    "inventory.PriceListPrice": {"hq": "vacd", "superuser": "vacd"},
    "inventory.TaxRate": {"hq": "vac-", "superuser": "vac-"},
    "orders.Invoice": {"hq": "v---", "superuser": "v---"},
    "auth.Group": {"superuser": "vacd"},
    "authtoken.TokenProxy": {"superuser": "vacd"},
    "axes.AccessAttempt": {"hq": "v--d", "superuser": "v-cd"},
    "axes.AccessFailureLog": {"superuser": "v-cd"},
    "axes.AccessLog": {"superuser": "v-cd"},
    "core.OutboxMessage": {"superuser": "v-c-"},
    "core.WebhookDelivery": {"superuser": "v-c-"},
    "core.WebhookEndpoint": {"superuser": "vacd"},
    "campaigns.Campaign": {"hq": "vacd", "superuser": "vacd"},
    "campaigns.Message": {"hq": "v---", "superuser": "v---"},
    "campaigns.Restock": {"hq": "v---", "superuser": "v---"},
    "campaigns.Segment": {"hq": "vacd", "superuser": "vacd"},
    "campaigns.StockSnapshot": {"hq": "v---", "superuser": "v---"},
    "campaigns.StockWatch": {"hq": "v---", "superuser": "v---"},
    "customers.Appointment": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "customers.AppointmentHours": {
        "manager": "vacd",
        "hq": "vacd",
        "superuser": "vacd",
    },
    "customers.AppointmentStaff": {
        "manager": "vac-",
        "hq": "vac-",
        "superuser": "vac-",
    },
    "customers.ConsentChange": {"hq": "v---", "superuser": "v---"},
    "customers.Customer": {"manager": "v-c-", "hq": "v-c-", "superuser": "v-c-"},
    "customers.CustomerEvent": {"hq": "v---", "superuser": "v---"},
    "customers.CustomerMerge": {"hq": "v---", "superuser": "v---"},
    "customers.DuplicateCandidate": {"hq": "v-c-", "superuser": "v-c-"},
    "customers.LoyaltyTransaction": {"hq": "v---", "superuser": "v---"},
    "customers.Wishlist": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "customers.WishlistItem": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "customers.ClientTask": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "inventory.Category": {"manager": "v---", "hq": "vacd", "superuser": "vacd"},
    "inventory.Location": {"manager": "v---", "hq": "vacd", "superuser": "vacd"},
    "inventory.Product": {"manager": "v---", "hq": "vacd", "superuser": "vacd"},
    "inventory.LowStockNotice": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "inventory.Reservation": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "inventory.StockLevel": {"manager": "v-c-", "hq": "v-c-", "superuser": "v-c-"},
    "inventory.StockMovement": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "inventory.Transfer": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "inventory.Variant": {"manager": "v---", "hq": "vacd", "superuser": "vacd"},
    "orders.Cart": {"hq": "v---", "superuser": "v---"},
    "orders.DiscountCode": {"hq": "vac-", "superuser": "vac-"},
    "orders.DiscountRedemption": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "orders.GiftCard": {"hq": "v-c-", "superuser": "v-c-"},
    "orders.Order": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "orders.Payment": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "orders.Register": {"manager": "v-c-", "hq": "vacd", "superuser": "vacd"},
    "orders.Return": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "orders.StoreCreditTransaction": {
        "manager": "v---",
        "hq": "v---",
        "superuser": "v---",
    },
    "orders.TerminalDevice": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "orders.TerminalIntent": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "orders.TillMovement": {"manager": "v---", "hq": "v---", "superuser": "v---"},
    "orders.TillSession": {"manager": "v---", "hq": "v---", "superuser": "v---"},
}

# model: {role: actions offered}; "manager" stands for both managers.
ACTIONS: dict[str, dict[str, set[str]]] = {
    "accounts.User": {"superuser": {"deactivate"}},
    "approvals.ApprovalPin": {role: {"unlock"} for role in HQ_ALL},
    "inventory.Market": {role: {"delete_selected"} for role in HQ_ALL},
    "inventory.PriceList": {role: {"delete_selected"} for role in HQ_ALL},
    "inventory.PriceListPrice": {role: {"delete_selected"} for role in HQ_ALL},
    "auth.Group": {"superuser": {"delete_selected"}},
    "axes.AccessAttempt": {
        role: {"cleanup_expired_attempts", "delete_selected"} for role in HQ_ALL
    },
    "axes.AccessFailureLog": {"superuser": {"delete_selected"}},
    "axes.AccessLog": {"superuser": {"delete_selected"}},
    "core.OutboxMessage": {"superuser": {"send_again"}},
    "core.WebhookDelivery": {"superuser": {"deliver_again"}},
    "core.WebhookEndpoint": {"superuser": {"delete_selected"}},
    "campaigns.Campaign": {
        role: {"activate", "cancel", "delete_selected", "pause", "schedule_now"}
        for role in HQ_ALL
    },
    "campaigns.Segment": {role: {"delete_selected"} for role in HQ_ALL},
    "customers.AppointmentHours": {
        role: {"delete_selected"} for role in ["manager", *HQ_ALL]
    },
    "customers.Customer": {
        role: {"merge_selected", "erase_selected", "export_selected"} for role in HQ_ALL
    },
    "customers.DuplicateCandidate": {
        role: {"dismiss_pairs", "merge_pairs"} for role in HQ_ALL
    },
    "inventory.Category": {role: {"delete_selected"} for role in HQ_ALL},
    "inventory.Product": {role: {"delete_selected"} for role in HQ_ALL},
    "inventory.Transfer": {
        role: {"receive_everything", "ship"} for role in ["manager", *HQ_ALL]
    },
    "orders.DiscountCode": {role: {"deactivate"} for role in HQ_ALL},
    "orders.GiftCard": {
        role: {"adjust_cards", "unlock_cards", "void_cards"} for role in HQ_ALL
    },
    "orders.Order": {
        "manager": {"cancel_orders", "deliver_orders", "export_csv"},
        **{
            role: {"cancel_orders", "deliver_orders", "export_csv", "issue_invoices"}
            for role in HQ_ALL
        },
    },
    "orders.Register": {role: {"delete_selected"} for role in HQ_ALL},
    "orders.Return": {role: {"close_returns"} for role in ["manager", *HQ_ALL]},
}


def design_key(role: str) -> str:
    return "manager" if role in ("store_manager", "area_manager") else role


@pytest.fixture
def users():
    shop, other = LocationFactory(), LocationFactory()
    return {
        "associate": UserFactory(role=Role.ASSOCIATE, store=shop),
        "store_manager": UserFactory(role=Role.STORE_MANAGER, store=shop),
        "area_manager": UserFactory(role=Role.AREA_MANAGER, store=other),
        "hq": UserFactory(role=Role.HQ),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }


def registered() -> dict[str, admin.ModelAdmin]:
    return {model._meta.label: ma for model, ma in admin.site._registry.items()}


def test_every_admin_model_is_in_the_design():
    assert set(registered()) == set(PERMISSIONS)
    assert set(ACTIONS) <= set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", sorted(PERMISSIONS))
def test_each_role_may_do_what_the_design_says(users, rf: RequestFactory, label, role):
    model_admin = registered()[label]
    request = rf.get("/admin/")
    request.user = users[role]
    rights = "".join(
        letter if getattr(model_admin, f"has_{name}_permission")(request) else "-"
        for letter, name in zip(
            "vacd", ["view", "add", "change", "delete"], strict=True
        )
    )
    key = design_key(role)
    assert rights == PERMISSIONS[label].get(key, "----")
    offered = (
        set(model_admin.get_actions(request))
        if model_admin.has_view_or_change_permission(request)
        else set()
    )
    assert offered == ACTIONS.get(label, {}).get(key, set())


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_hq_and_the_superuser_reach_the_admin(client, users, role):
    client.force_login(users[role])
    response = client.get("/admin/")
    if role == "associate":
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    else:
        assert response.status_code == 200
