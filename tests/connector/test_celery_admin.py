"""Celery's and django-celery-beat's admin screens are for superusers only, and even they cannot change a
connection's schedules there: the connection's settings are the one place its cadences are set."""

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_results.models import GroupResult, TaskResult

from connector.models import ConnectionSettings, SyncRun
from connector.services.schedules import schedules_sync
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["Company admin", "Accountant", "Viewer"]
CELERY_MODELS = [PeriodicTask, IntervalSchedule, CrontabSchedule, ClockedSchedule, TaskResult, GroupResult]


@pytest.fixture
def schedules():
    """Two connections' schedules and the heartbeat, as `make run` leaves them."""
    from django.core.management import call_command

    call_command("setup_periodic_tasks", stdout=open("/dev/null", "w"))
    first, second = ConnectionFactory(), ConnectionFactory()
    return {"first": schedules_sync(connection=first), "second": schedules_sync(connection=second),
            "heartbeat": PeriodicTask.objects.get(name="Worker heartbeat")}


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def state_of_tasks():
    return sorted(PeriodicTask.objects.values_list("name", "enabled", "kwargs", "interval_id"))


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_index_lists_no_celery_screen_for_a_role(client, role):
    client.force_login(UserFactory(role=role, role__on=[ConnectionFactory()]))
    page = client.get("/admin/").content.decode()
    assert "Connections" in page
    for text in ("Periodic tasks", "Intervals", "Task results", "Group results", "django_celery"):
        assert text not in page


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", CELERY_MODELS, ids=lambda m: m.__name__)
def test_a_role_gets_403_on_every_celery_page(client, role, model, schedules):
    client.force_login(UserFactory(role=role))
    assert client.get(admin_url(model, "changelist")).status_code == 403
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "add"), {}).status_code == 403
    assert client.get(f"/admin/{model._meta.app_label}/").status_code in (403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_a_role_cannot_open_change_or_delete_a_schedule(client, role, schedules):
    task = schedules["first"][0]
    client.force_login(UserFactory(role=role))
    before = state_of_tasks()
    assert client.get(admin_url(PeriodicTask, "change", task.pk)).status_code == 403
    forged = {"name": task.name, "task": task.task, "interval": task.interval_id, "enabled": "on",
              "kwargs": json.dumps({"connection_id": schedules["second"][0].pk, "scope": "company"})}
    assert client.post(admin_url(PeriodicTask, "change", task.pk), forged).status_code == 403
    assert client.post(admin_url(PeriodicTask, "delete", task.pk), {"post": "yes"}).status_code == 403
    assert client.post(admin_url(IntervalSchedule, "change", task.interval_id),
                       {"every": 1, "period": "minutes"}).status_code == 403
    assert state_of_tasks() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["run_tasks", "disable_tasks", "enable_tasks", "toggle_tasks"])
def test_a_role_cannot_use_beats_actions_by_a_direct_post(client, role, action, schedules):
    client.force_login(UserFactory(role=role))
    before = state_of_tasks()
    every = list(PeriodicTask.objects.values_list("pk", flat=True))
    response = client.post(admin_url(PeriodicTask, "changelist"),
                           {"action": action, "_selected_action": every, "index": 0})
    assert response.status_code == 403
    assert state_of_tasks() == before
    assert not SyncRun.objects.exists(), "nothing ran"


@pytest.mark.parametrize("model", CELERY_MODELS, ids=lambda m: m.__name__)
def test_a_superuser_sees_every_celery_page(admin_client, model, schedules):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert "All admin screens" in admin_client.get("/admin/").content.decode()  # the home links to them
    assert "Periodic tasks" in admin_client.get("/admin/?all=1").content.decode()


def test_even_a_superuser_cannot_edit_a_connections_schedule_in_beats_admin(admin_client, schedules):
    task = schedules["first"][0]
    page = admin_client.get(admin_url(PeriodicTask, "change", task.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode(), "read-only"
    forged = {"name": task.name, "regtask": task.task, "task": task.task, "interval": task.interval_id,
              "kwargs": json.dumps({"connection_id": 999, "scope": "company"}), "args": "[]",
              "headers": "{}", "priority": "", "expire_seconds": "", "enabled": "on"}
    before = state_of_tasks()
    assert admin_client.post(admin_url(PeriodicTask, "change", task.pk), forged).status_code == 403
    assert admin_client.post(admin_url(PeriodicTask, "delete", task.pk), {"post": "yes"}).status_code == 403
    assert admin_client.post(admin_url(IntervalSchedule, "delete", task.interval_id),
                             {"post": "yes"}).status_code == 403
    assert state_of_tasks() == before
    heartbeat = schedules["heartbeat"]
    assert 'name="_save"' in admin_client.get(admin_url(PeriodicTask, "change", heartbeat.pk)).content.decode()


def test_beats_actions_leave_connection_schedules_alone_and_say_so(admin_client, schedules):
    connection_tasks = {t.pk: t.enabled for t in schedules["first"] + schedules["second"]}
    chosen = list(connection_tasks) + [schedules["heartbeat"].pk]
    response = admin_client.post(admin_url(PeriodicTask, "changelist"),
                                 {"action": "disable_tasks", "_selected_action": chosen, "index": 0})
    assert response.status_code == 302
    assert "changed only through the connection's settings" in " ".join(
        str(m) for m in get_messages(response.wsgi_request))
    assert not PeriodicTask.objects.get(pk=schedules["heartbeat"].pk).enabled
    assert {t.pk: t.enabled for t in PeriodicTask.objects.filter(pk__in=connection_tasks)} == connection_tasks

    admin_client.post(admin_url(PeriodicTask, "changelist"),
                      {"action": "run_tasks", "_selected_action": list(connection_tasks), "index": 0})
    assert not SyncRun.objects.exists(), "connections are run with Sync now on their page"


def test_a_cadence_changed_on_the_connection_page_is_what_beat_runs(client, schedules, monkeypatch):
    """The one writer of a connection's schedules: its settings, saved on its page by a company admin."""
    from connector import settings_form

    monkeypatch.setattr(settings_form, "xero_reference_data", lambda connection: {
        "tracking_categories": [], "accounts": [], "tax_rates": [], "error": None})
    task = schedules["first"][0]
    connection_id = json.loads(task.kwargs)["connection_id"]
    current = ConnectionSettings.objects.get(connection_id=connection_id)
    fields = ["tracking_category_id", "purchase_account_code", "tax_type", "po_status", "bill_status",
              "approve_commitments", "approve_change_orders", "approve_invoices", "approve_companies",
              "vendor_owner", "company_cadence", "project_cadence", "payments_cadence",
              "use_contract_number_as_po_number"]
    data = {f"settings-0-{f}": getattr(current, f) for f in fields if not isinstance(getattr(current, f), bool)}
    data.update({f"settings-0-{f}": "on" for f in fields if getattr(current, f) is True})
    data.update({"settings-TOTAL_FORMS": 1, "settings-INITIAL_FORMS": 1, "settings-MIN_NUM_FORMS": 0,
                 "settings-MAX_NUM_FORMS": 1, "settings-0-id": current.pk, "settings-0-connection": connection_id,
                 "settings-0-company_cadence": "4h", "_save": "Save"})
    client.force_login(UserFactory(role="Company admin"))
    response = client.post(f"/admin/connector/connection/{connection_id}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    company = PeriodicTask.objects.get(pk=task.pk)
    assert company.interval.every == 4 and company.interval.period == "hours"
    assert json.loads(company.kwargs) == {"connection_id": connection_id, "scope": "company", "trigger": "schedule"}
