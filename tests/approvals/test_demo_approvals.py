"""The demo's managers approve out of the box: the shop manager and HQ hold the
permission through their groups, have a PIN, and demo_info prints the PINs."""

from io import StringIO

import pytest
from django.core.management import call_command

from omnistore.accounts.models import User
from omnistore.approvals.models import APPROVE_PERMISSION, MANAGER_PAGES_PERMISSION
from omnistore.approvals.services.pins import verify_pin

pytestmark = pytest.mark.django_db


def test_the_demo_manager_and_hq_approve_with_their_pins():
    call_command("seed_demo", stdout=StringIO())
    manager = User.objects.get(username="manager")
    assert manager.has_perm(APPROVE_PERMISSION)
    assert manager.has_perm(MANAGER_PAGES_PERMISSION)
    assert list(manager.groups.values_list("name", flat=True)) == ["Store manager"]
    associate = User.objects.get(username="associate")
    verify_pin(user=manager, pin="2468", actor=associate)
    verify_pin(user=User.objects.get(username="hq"), pin="1357", actor=associate)
    assert not associate.has_perm(APPROVE_PERMISSION)
    out = StringIO()
    call_command("demo_info", stdout=out)
    assert "Approval PINs (typed on an associate's screen): hq 1357, manager 2468" in (
        out.getvalue()
    )
