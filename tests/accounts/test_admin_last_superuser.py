"""There is always an active superuser: only a superuser gives out logins and groups.
A superuser's own *Superuser status* is fixed on their own page (as their *Active*
box is), and a save or the *Deactivate* action that would leave no active superuser
is refused with the reason, nothing changed. Another superuser may still take the
status away from one of several."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LAST = "There must always be an active superuser"


@pytest.fixture
def admin_user(client):
    root = UserFactory(username="admin", is_superuser=True, is_staff=True)
    client.force_login(root)
    return root


@pytest.fixture
def login_keeper():
    """A staff login given the right to change logins, not a superuser itself."""
    keeper = UserFactory(username="keeper", is_staff=True)
    keeper.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts",
            codename__in=["view_user", "change_user"],
        )
    )
    device = Client()
    device.force_login(keeper)
    return device


def page_data(client, user) -> tuple[str, dict]:
    """The login's page as shown, every box and field as it stands."""
    url = reverse("admin:accounts_user_change", args=[user.pk])
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
    return url, data


def superusers() -> list[str]:
    return sorted(
        User.objects.filter(is_superuser=True, is_active=True).values_list(
            "username", flat=True
        )
    )


def test_the_only_superuser_cannot_untick_their_own_superuser_status(
    client, admin_user
):
    url, data = page_data(client, admin_user)
    field = client.get(url).context["adminform"].form.fields["is_superuser"]
    assert field.disabled
    data.pop("is_superuser")  # unticked

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert superusers() == ["admin"]
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_one_superuser_takes_the_status_from_another_and_one_stays(client, admin_user):
    other = UserFactory(username="root2", is_superuser=True, is_staff=True)
    url, data = page_data(client, other)
    assert not client.get(url).context["adminform"].form.fields["is_superuser"].disabled
    data.pop("is_superuser")

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert superusers() == ["admin"]


@pytest.mark.parametrize("box", ["is_superuser", "is_active"])
def test_a_save_leaving_no_active_superuser_is_refused_beside_the_box(
    admin_user, login_keeper, box
):
    url, data = page_data(login_keeper, admin_user)
    data.pop(box)

    response = login_keeper.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert LAST in " ".join(form.errors[box])
    assert superusers() == ["admin"]


def test_the_deactivate_action_keeps_the_last_active_superuser(
    admin_user, login_keeper
):
    response = login_keeper.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [admin_user.pk]},
        follow=True,
    )

    assert LAST in response.content.decode()
    assert superusers() == ["admin"]
