"""The three roles exist after migrate, with what each may do (and none touches Celery's models)."""

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


CELERY_PERMISSIONS = ["django_celery_beat.view_periodictask", "django_celery_beat.change_periodictask",
                      "django_celery_beat.add_periodictask", "django_celery_beat.delete_periodictask",
                      "django_celery_beat.view_intervalschedule", "django_celery_beat.change_intervalschedule",
                      "django_celery_results.view_taskresult", "django_celery_results.delete_taskresult"]


@pytest.mark.parametrize("role", ["Company admin", "Accountant", "Viewer"])
def test_no_role_has_a_permission_on_celery_or_its_schedules(role):
    group = Group.objects.get(name=role)
    assert not group.permissions.filter(content_type__app_label__in=["django_celery_beat",
                                                                     "django_celery_results"]).exists()
    user = UserFactory(role=role)
    assert not [p for p in CELERY_PERMISSIONS if user.has_perm(p)]
