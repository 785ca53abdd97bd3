"""A login is never deleted in the admin, not even by the superuser: the admin's log,
timelines and histories name it as who acted. Someone who leaves is deactivated (the
list's action or *Active* on the form), which is logged and shuts every door."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from inventory.models import Category
from omnistore.accounts.models import Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    return root


@pytest.fixture
def leaver():
    """An HQ login that changed something in the admin: it is in the trail."""
    hq = UserFactory(username="hq2", role=Role.HQ)
    category = Category.objects.create(name="Shirts", slug="shirts")
    LogEntry.objects.create(
        user=hq,
        content_type=ContentType.objects.get_for_model(Category),
        object_id=str(category.pk),
        object_repr=str(category),
        action_flag=CHANGE,
        change_message="Personal data erased: Ticket GDPR-2026-117",
    )
    return hq


def test_deleting_a_login_is_refused_and_its_trail_stays(client, superuser, leaver):
    url = reverse("admin:accounts_user_delete", args=[leaver.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403

    assert User.objects.filter(pk=leaver.pk).exists()
    entry = LogEntry.objects.get(change_message__startswith="Personal data erased")
    assert entry.user_id == leaver.pk


def test_the_bulk_delete_is_not_offered_and_deletes_nothing(client, superuser, leaver):
    changelist = reverse("admin:accounts_user_changelist")

    page = client.get(changelist)
    response = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [leaver.pk], "post": "yes"},
    )

    offered = [name for name, _ in page.context["action_form"].fields["action"].choices]
    assert "deactivate" in offered and "delete_selected" not in offered
    assert response.status_code in (200, 302)
    assert User.objects.filter(pk=leaver.pk).exists()
    assert LogEntry.objects.filter(user=leaver).count() == 1


def test_deactivating_a_login_is_logged_and_shuts_it_out(client, superuser, leaver):
    theirs = Client()
    theirs.force_login(leaver)
    assert theirs.get("/admin/").status_code == 200
    token = Token.objects.create(user=leaver)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/me/").status_code != 401

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [leaver.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 login(s) deactivated." in response.content.decode()
    leaver.refresh_from_db()
    assert leaver.is_active is False
    logged = LogEntry.objects.filter(
        object_id=str(leaver.pk),
        content_type=ContentType.objects.get_for_model(User),
    ).get()
    assert logged.user == superuser and logged.get_change_message() == "Deactivated"
    assert theirs.get("/admin/").status_code == 302  # signed out: to the login page
    assert api.get("/api/v1/me/").status_code == 401
    assert LogEntry.objects.filter(user=leaver).count() == 1  # their trail stays
    # The list says which logins are inactive.
    listed = client.get(
        reverse("admin:accounts_user_changelist"), {"q": leaver.username}
    ).content.decode()
    assert "column-is_active" in listed and 'alt="False"' in listed


def test_ones_own_login_is_not_deactivated_by_oneself(client, superuser):
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [superuser.pk]},
        follow=True,
    )

    assert "deactivated by someone else" in response.content.decode()
    superuser.refresh_from_db()
    assert superuser.is_active is True


def test_a_login_already_inactive_is_left_as_it_is(client, superuser, leaver):
    User.objects.filter(pk=leaver.pk).update(is_active=False)

    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [leaver.pk]},
    )

    assert not LogEntry.objects.filter(object_id=str(leaver.pk)).exists()


def test_unticking_active_on_ones_own_page_keeps_the_login(client, superuser):
    url = reverse("admin:accounts_user_change", args=[superuser.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif hasattr(field, "fields"):  # a date and a time
            parts = field.widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        else:
            data[name] = value
    data.pop("is_active", None)  # unticked

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    superuser.refresh_from_db()
    assert superuser.is_active is True
    assert client.get(reverse("admin:index")).status_code == 200
