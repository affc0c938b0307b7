"""Roles are per connection: what each allows, and that none is global (no group gives rights on every
connection) nor reaches Celery's models."""

import pytest
from django.contrib.auth.models import Group

from connector.models import Membership
from connector.selectors import connections_for, member_can
from connector.services.roles import ROLE_PERMISSIONS
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.mark.parametrize("role, allowed, denied", [
    (Role.COMPANY_ADMIN, ["connect_connection", "change_connectionsettings", "approve_exports", "run_sync",
                          "manage_members", "view_audit"], []),
    (Role.ACCOUNTANT, ["approve_exports", "run_sync", "view_sync_log", "view_audit"],
     ["connect_connection", "change_connectionsettings", "manage_members"]),
    (Role.VIEWER, ["view_connection", "view_sync_log", "view_link", "view_audit"],
     ["approve_exports", "run_sync", "change_connectionsettings", "connect_connection", "manage_members"]),
])
def test_a_role_allows_its_rights_on_its_own_connection_only(role, allowed, denied):
    mine, theirs = ConnectionFactory(), ConnectionFactory()
    user = UserFactory(role=role, role__on=[mine])
    assert [p for p in allowed if not member_can(user, mine, p)] == []
    assert [p for p in denied if member_can(user, mine, p)] == []
    assert [p for p in allowed + denied if member_can(user, theirs, p)] == []
    assert list(connections_for(user)) == [mine]


def test_two_roles_on_two_connections_stay_apart():
    first, second = ConnectionFactory(), ConnectionFactory()
    user = UserFactory(role="Viewer", role__on=[first])
    Membership.objects.create(connection=second, user=user, role=Role.ACCOUNTANT)
    assert list(connections_for(user, "approve_exports")) == [second]
    assert set(connections_for(user, "view_link")) == {first, second}


def test_superusers_see_every_connection_and_inactive_people_none():
    connections = {ConnectionFactory(), ConnectionFactory()}
    assert set(connections_for(UserFactory(is_superuser=True), "connect_connection")) == connections
    gone = UserFactory(role="Company admin", is_active=False)
    assert not connections_for(gone).exists()


def test_no_global_role_groups_and_no_role_reaches_celery():
    assert not Group.objects.filter(name__in=["Company admin", "Accountant", "Viewer"]).exists()
    everything = set().union(*ROLE_PERMISSIONS.values())
    assert not [p for p in everything if "periodictask" in p or "taskresult" in p or "schedule" in p]
    user = UserFactory(role="Company admin", role__on=[ConnectionFactory()])
    assert not [p for p in ["django_celery_beat.view_periodictask", "django_celery_beat.change_periodictask",
                            "django_celery_results.view_taskresult"] if user.has_perm(p)]
