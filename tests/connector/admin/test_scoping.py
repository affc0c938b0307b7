"""Every admin page, action and custom view refuses another company's data (not found or 403) and what the
person's role on their own connection does not allow, including direct POSTs.

Built from the admin registry: a newly registered admin without scoping, or a model without an example below,
or a custom view without a role check fails here. To cover a new connector admin, add one line to EXAMPLES."""

import uuid

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import URLPattern, reverse
from django.utils import timezone

from connector.admin.connection import SuperuserOnly
from connector.admin.scoping import ACTION_PERMISSIONS, ConnectionScoped
from connector.models import (
    AuditEntry,
    Connection,
    ConnectionSettings,
    Decision,
    Kind,
    Link,
    Membership,
    SyncRecord,
    SyncRun,
    WebhookEvent,
    WorkerHeartbeat,
)
from connector.services.roles import role_allows
from tests.factories import ConnectionFactory, LinkFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role
ROLES = [Role.COMPANY_ADMIN, Role.ACCOUNTANT, Role.VIEWER]
GLOBAL_ADMINS = {WorkerHeartbeat}  # whether a worker and beat are alive: nobody's company data, read-only


def _run(c):
    return SyncRun.objects.create(connection=c, kind=Kind.COMMITMENT, direction="export", trigger="manual")


# One object of each connector model that has an admin, on connection `c`.
EXAMPLES = {
    Connection: lambda c: c,
    Link: lambda c: LinkFactory(connection=c, state=Link.State.AWAITING_APPROVAL, content_fingerprint="v1"),
    Decision: lambda c: Decision.objects.create(connection=c, kind=Kind.COMMITMENT, verdict="accepted", label="PO"),
    SyncRun: _run,
    SyncRecord: lambda c: SyncRecord.objects.create(run=_run(c), action="created", label="PO 7"),
    WebhookEvent: lambda c: WebhookEvent.objects.create(connection=c, source="procore", event_id=str(uuid.uuid4()),
                                                        resource_name="Projects", resource_id="1",
                                                        event_type="update"),
    AuditEntry: lambda c: AuditEntry.objects.create(connection=c, action="sync_now", summary="Sync now."),
}


def scoped_admins():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, ConnectionScoped)]


SCOPED = scoped_admins()
MODELS = [model for model, _ in SCOPED]
ACTIONS = [(model, name) for model, model_admin in SCOPED for name in
           [a if isinstance(a, str) else a.__name__ for a in model_admin.actions or []]]
STANDARD_VIEWS = ("_changelist", "_add", "_history", "_delete", "_change")


def custom_urls():
    """Every URL an admin adds of its own (connect, sync now, matching, people…)."""
    return [(model, pattern) for model, model_admin in admin.site._registry.items()
            for pattern in model_admin.get_urls() if isinstance(pattern, URLPattern) and pattern.name
            and not pattern.name.endswith(STANDARD_VIEWS)]


CUSTOM = custom_urls()


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def snapshot():
    return {model.__name__: list(model.objects.order_by("pk").values())
            for model in (Connection, ConnectionSettings, Link, Decision, SyncRun, Membership, AuditEntry)}


@pytest.fixture
def world():
    """Two connections of different companies, one of every example on each, and a person of each role on A."""
    a, b = ConnectionFactory(), ConnectionFactory()
    objects = {model: {"a": EXAMPLES[model](a), "b": EXAMPLES[model](b)} for model in MODELS if model in EXAMPLES}
    people = {role: UserFactory(role=role, role__on=[a]) for role in ROLES}
    return {"a": a, "b": b, "objects": objects, "people": people}


def as_role(client, world, role):
    client.force_login(world["people"][role])
    return client


def example(world, model, side):
    if model not in world["objects"]:
        pytest.fail(f"Add an example of {model.__name__} to EXAMPLES in {__name__} so its scoping is tested.")
    return world["objects"][model][side]


def test_every_admin_is_scoped_by_connection_or_for_superusers_only():
    unscoped = [f"{model._meta.label}: {type(model_admin).__name__}"
                for model, model_admin in admin.site._registry.items()
                if not isinstance(model_admin, (ConnectionScoped, SuperuserOnly)) and model not in GLOBAL_ADMINS
                and model._meta.app_label != "auth"]  # Django's users and groups: no role has a right on them
    assert unscoped == []
    assert [m.__name__ for m in MODELS if m not in EXAMPLES] == []


def test_every_custom_admin_view_checks_the_role_on_its_connection():
    assert [p.name for _, p in CUSTOM if not hasattr(p.callback, "connection_permission")
            and not isinstance(admin.site._registry[_], SuperuserOnly)] == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_list_shows_only_the_persons_connection(client, world, model, role):
    response = as_role(client, world, role).get(admin_url(model, "changelist"))
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert example(world, model, "a") in shown and example(world, model, "b") not in shown
    html = response.content.decode()
    assert str(world["b"]) not in html  # not even in a filter


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_another_companys_object_is_not_found_on_any_page(client, world, model, role):
    theirs = example(world, model, "b").pk
    client = as_role(client, world, role)
    before = snapshot()
    assert client.get(admin_url(model, "change", theirs)).status_code == 404
    assert client.post(admin_url(model, "change", theirs), {"_save": "Save"}).status_code in (403, 404)
    assert client.get(admin_url(model, "history", theirs)).status_code == 404
    assert client.post(admin_url(model, "delete", theirs), {"post": "yes"}).status_code in (403, 404)
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_own_objects_are_read_and_changed_only_as_the_role_allows(client, world, model, role):
    mine = example(world, model, "a").pk
    client = as_role(client, world, role)
    assert client.get(admin_url(model, "change", mine)).status_code == 200
    codename = dict(SCOPED)[model].change_codename
    if not (codename and role_allows(role, codename)):
        before = snapshot()
        assert client.post(admin_url(model, "change", mine), {"_save": "Save"}).status_code == 403
        assert client.post(admin_url(model, "delete", mine), {"post": "yes"}).status_code == 403
        assert snapshot() == before
    assert client.get(admin_url(model, "add")).status_code == 403


def _needs(model, name) -> list[str]:
    model_admin = dict(SCOPED)[model]
    func = next(model_admin.get_action(a)[0] for a in model_admin.actions
                if (a if isinstance(a, str) else a.__name__) == name)
    named = {"view": model_admin.view_codename, "change": model_admin.change_codename, **ACTION_PERMISSIONS}
    return [named.get(p, p) for p in getattr(func, "allowed_permissions", ())]


def _post_action(client, model, name, ids, **extra):
    return client.post(admin_url(model, "changelist"), {"action": name, ACTION_CHECKBOX_NAME: ids, "index": 0,
                                                        "confirm": "yes", "reason": "no", "project_id": "1",
                                                        "item_code": "01-100.L", **extra})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model, name", ACTIONS, ids=lambda v: getattr(v, "__name__", v))
def test_an_action_on_another_companys_records_is_refused_by_a_direct_post(client, world, model, name, role):
    theirs = example(world, model, "b")
    before = snapshot()
    response = _post_action(as_role(client, world, role), model, name, [theirs.pk])
    allowed = all(role_allows(role, codename) for codename in _needs(model, name))
    # 403 when the role may use the action on its own records; otherwise it is not even offered (the list again)
    assert response.status_code == 403 if allowed else response.status_code in (200, 302)
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model, name", ACTIONS, ids=lambda v: getattr(v, "__name__", v))
def test_an_action_the_role_does_not_allow_is_refused_on_its_own_records(client, world, model, name, role):
    if all(role_allows(role, codename) for codename in _needs(model, name)):
        pytest.skip("allowed: what it does is tested with the action")
    before = snapshot()
    response = _post_action(as_role(client, world, role), model, name, [example(world, model, "a").pk])
    assert response.status_code in (200, 302) and snapshot() == before
    page = client.get(admin_url(model, "changelist")).content.decode()
    assert f'value="{name}"' not in page  # not offered either


def test_selecting_records_of_two_companies_does_nothing_to_either(client, world):
    """An accountant of A who slips one of B's records into a selection: refused as a whole."""
    ids = [world["objects"][Link]["a"].pk, world["objects"][Link]["b"].pk]
    response = _post_action(as_role(client, world, Role.ACCOUNTANT), Link, "accept", ids)
    assert response.status_code == 403
    assert set(Link.objects.filter(pk__in=ids).values_list("state", flat=True)) == {Link.State.AWAITING_APPROVAL}


def test_the_audit_export_holds_only_the_persons_connection(client, world):
    response = _post_action(as_role(client, world, Role.VIEWER), AuditEntry, "export_csv",
                            list(AuditEntry.objects.values_list("pk", flat=True)))
    assert response.status_code == 403  # B's entry was among the selected
    mine = world["objects"][AuditEntry]["a"]
    response = _post_action(client, AuditEntry, "export_csv", [mine.pk])
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = response.content.decode().splitlines()
    assert rows[0].startswith("When,Who,Connection,Action") and len(rows) == 2 and str(world["a"]) in rows[1]


def _reverse_custom(pattern, connection, world=None):
    args = {"connection_id": connection.pk, "kind": Kind.COMMITMENT}
    if "pk" in pattern.pattern.converters:  # one record's own view: that connection's example of it
        side = "a" if connection == world["a"] else "b"
        args["pk"] = example(world, pattern.callback.record_model, side).pk
    return reverse(f"admin:{pattern.name}", kwargs={k: v for k, v in args.items() if k in pattern.pattern.converters})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model, pattern", CUSTOM, ids=lambda v: getattr(v, "name", None) or v.__name__)
def test_a_custom_view_refuses_another_company_and_what_the_role_does_not_allow(client, world, model, pattern,
                                                                                 role):
    if isinstance(admin.site._registry[model], SuperuserOnly):
        pytest.skip("superusers only (tests/connector/test_celery_admin.py)")
    client = as_role(client, world, role)
    before = snapshot()
    if {"connection_id", "pk"} & set(pattern.pattern.converters):
        theirs = _reverse_custom(pattern, world["b"], world)
        assert client.get(theirs).status_code in (404, 405)  # 405: a POST-only view
        assert client.post(theirs).status_code == 404
        mine = _reverse_custom(pattern, world["a"], world)
    else:  # a new connection: company admins (of any connection) and superusers
        mine = reverse(f"admin:{pattern.name}")
    if not role_allows(role, pattern.callback.connection_permission):
        assert client.get(mine).status_code in (403, 405)
    if not role_allows(role, pattern.callback.connection_post_permission):
        assert client.post(mine).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("callback", ["procore_oauth_callback", "xero_oauth_callback"])
def test_the_oauth_callbacks_refuse_another_companys_connection(client, world, callback):
    provider = "procore" if callback.startswith("procore") else "xero"
    client = as_role(client, world, Role.COMPANY_ADMIN)
    session = client.session
    session["oauth"] = {"state": "s", "provider": provider, "connection": world["b"].pk}
    session.save()
    assert client.get(reverse(callback), {"state": "s", "code": "c"}).status_code == 404
    client = as_role(client, world, Role.ACCOUNTANT)
    assert client.get(reverse(callback), {"state": "s", "code": "c"}).status_code == 403


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.VIEWER])
def test_only_a_company_admin_changes_the_connection_settings(client, world, role):
    connection = world["a"]
    settings_row = ConnectionSettings.objects.get(connection=connection)
    response = as_role(client, world, role).post(admin_url(Connection, "change", connection.pk), {
        "settings-TOTAL_FORMS": 1, "settings-INITIAL_FORMS": 1, "settings-0-id": settings_row.pk,
        "settings-0-connection": connection.pk, "settings-0-company_cadence": "never", "_save": "Save"})
    assert response.status_code == 403
    settings_row.refresh_from_db()
    assert settings_row.company_cadence != "never"


def test_a_superuser_sees_both_companies(admin_client, world):
    for model in MODELS:
        shown = set(admin_client.get(admin_url(model, "changelist")).context["cl"].result_list)
        assert {example(world, model, "a"), example(world, model, "b")} <= shown


SUPERUSER_ONLY = [model for model, model_admin in admin.site._registry.items()
                  if isinstance(model_admin, SuperuserOnly)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", SUPERUSER_ONLY, ids=lambda m: m._meta.label)
def test_celery_and_beat_pages_refuse_every_role(client, world, model, role):
    client = as_role(client, world, role)
    assert client.get(admin_url(model, "changelist")).status_code == 403
    assert client.post(admin_url(model, "add"), {}).status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_the_heartbeats_are_read_by_members_only(client, world, role):
    beat = WorkerHeartbeat.objects.create(source="worker", hostname="w1", seen_at=timezone.now())
    client = as_role(client, world, role)
    assert client.get(admin_url(WorkerHeartbeat, "changelist")).status_code == 200
    assert client.post(admin_url(WorkerHeartbeat, "delete", beat.pk), {"post": "yes"}).status_code == 403
    client.force_login(UserFactory())  # staff, on no connection
    assert client.get(admin_url(WorkerHeartbeat, "changelist")).status_code == 403
    assert client.get(admin_url(Link, "changelist")).status_code == 403
