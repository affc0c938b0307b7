"""The three roles exist after migrate, with what each may do."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role, allowed, denied", [
    ("Company admin", ["connector.connect_connection", "connector.change_connectionsettings",
                       "connector.approve_exports"], []),
    ("Accountant", ["connector.approve_exports", "connector.run_sync", "connector.view_sync_log"],
     ["connector.connect_connection", "connector.change_connectionsettings"]),
    ("Viewer", ["connector.view_connection", "connector.view_sync_log"],
     ["connector.approve_exports", "connector.run_sync", "connector.change_connectionsettings",
      "connector.connect_connection"]),
])
def test_role_permissions(role, allowed, denied):
    assert Group.objects.filter(name=role).exists()
    user = UserFactory(role=role)
    assert all(user.has_perm(p) for p in allowed), [p for p in allowed if not user.has_perm(p)]
    assert not any(user.has_perm(p) for p in denied), [p for p in denied if user.has_perm(p)]
