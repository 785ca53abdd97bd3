"""Staff and admin pages carry a Content Security Policy that runs scripts from our
own static files only, and no template needs more than that."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from omnistore.accounts.models import Role
from tests.factories import LocationFactory, StaffFactory, UserFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Sent by email or served to customers off the staff site (tracking, unsubscribe).
OFF_STAFF = ("email/", "campaigns/_public_base.html", "campaigns/unsubscribe")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
HX_ON = re.compile(r"\shx-on[:-]", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:]
        for part in (p.strip() for p in header.split(";"))
        if part
    }


@pytest.mark.django_db
def test_staff_pages_allow_scripts_from_our_files_only(client):
    LocationFactory()
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    response = client.get(reverse("staff:dashboard"))
    assert response.status_code == 200
    rules = policy(response)
    assert rules["script-src"] == ["'self'"]
    assert rules["object-src"] == ["'none'"]
    assert rules["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    # htmx adds neither an inline style nor eval; our own behaviour is a static file
    assert '"includeIndicatorStyles":false' in response.content.decode()
    assert "omnistore/staff.js" in response.content.decode()


@pytest.mark.django_db
def test_the_login_and_admin_pages_carry_the_policy(client):
    assert policy(client.get(reverse("staff:login")))["script-src"] == ["'self'"]
    assert policy(client.get(reverse("admin:login")))["script-src"] == ["'self'"]
    client.force_login(StaffFactory(role=Role.HQ, is_staff=True, is_superuser=True))
    assert policy(client.get(reverse("admin:index")))["script-src"] == ["'self'"]


def staff_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if not any(part in name for part in OFF_STAFF):
            yield name, path.read_text()


@pytest.mark.parametrize(("name", "text"), list(staff_templates()))
def test_no_staff_template_has_inline_script_or_event_handlers(name, text):
    assert not INLINE_SCRIPT.search(text), f"{name}: move the script to a static file"
    assert not INLINE_HANDLER.search(text), f"{name}: use data- attributes + staff.js"
    assert not HX_ON.search(text), f"{name}: hx-on needs eval, which the policy forbids"
