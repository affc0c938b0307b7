"""Admin screens. Views and actions are thin: services do the work; every one checks the role."""

import django_celery_beat.admin as beat_admin
import django_celery_results.admin  # noqa: F401 - registered before it is wrapped below
from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ..models import AuditEntry, Connection, ConnectionSettings, WebhookEvent, WorkerHeartbeat
from ..selectors import connections_for, may_connect_new, member_can
from ..services import connections as connection_services
from ..services.audit import audit_record
from ..services.schedules import SYNC_TASK, schedules_of, schedules_sync
from ..settings_form import ConnectionSettingsForm
from ..views import companies, oauth, people, projects, sync
from .scoping import ConnectionScoped, ScopedInline


class ConnectionSettingsInline(ScopedInline, admin.StackedInline):
    connection_path = ""  # the parent is the connection
    change_codename = "change_connectionsettings"
    model = ConnectionSettings
    form = ConnectionSettingsForm
    can_delete = False
    extra = 0
    max_num = 1
    fieldsets = [
        ("Xero defaults", {"fields": ["tracking_category_id", "purchase_account_code", "tax_type",
                                      "po_status", "bill_status", "use_contract_number_as_po_number",
                                      "confirm_exported_change", "first_open_day_for_locked_bills",
                                      "negative_invoices_as_credit_notes", "attach_invoice_backup"]}),
        ("Approval required before export", {"fields": ["approve_commitments", "approve_change_orders",
                                                         "approve_invoices", "approve_companies"],
                                             "description": "Projects always need an accountant's acceptance."}),
        ("Sync", {"fields": ["vendor_owner", "company_cadence", "project_cadence", "payments_cadence"]}),
    ]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.connection = obj
        return formset


@admin.register(Connection)
class ConnectionAdmin(ConnectionScoped, admin.ModelAdmin):
    connection_path = ""
    change_codename = "change_connectionsettings"
    list_display = ("__str__", "status_badge", "xero_country", "plan", "connected_at")
    list_filter = ("status", "xero_country")
    readonly_fields = ("procore_company_name", "procore_company_id", "xero_organisation_name", "xero_tenant_id",
                       "xero_country", "plan", "status", "status_reason", "connected_at", "disconnected_at",
                       "created_at")
    fieldsets = [
        (None, {"fields": ["status", "status_reason", "connected_at", "disconnected_at"]}),
        ("Procore", {"fields": ["procore_company_name", "procore_company_id"]}),
        ("Xero", {"fields": ["xero_organisation_name", "xero_tenant_id", "xero_country", "plan"]}),
    ]
    inlines = [ConnectionSettingsInline]
    change_form_template = "admin/connector/connection/change_form.html"
    change_list_template = "admin/connector/connection/change_list.html"
    actions = ["retire_closed_projects"]

    @admin.action(description="Retire closed projects (archive their Xero tracking options)")
    def retire_closed_projects(self, request, queryset):
        from ..selectors import connections_for
        from ..services.projects import projects_retire

        allowed = connections_for(request.user, "change_connectionsettings")
        for connection in queryset.filter(pk__in=allowed.values("pk"), status=Connection.Status.ACTIVE):
            try:
                retired = projects_retire(connection, user=request.user)
            except Exception as exc:  # noqa: BLE001 - said to the person, in words
                self.message_user(request, f"{connection}: could not retire projects ({exc}).", messages.ERROR)
                continue
            names = ", ".join(link.label for link in retired[:10]) + ("…" if len(retired) > 10 else "")
            self.message_user(request, f"{connection}: {len(retired)} closed project(s) retired"
                                       + (f" ({names})." if retired else "; none is inactive in Procore."))

    @admin.display(description="Plan")
    def plan(self, obj):
        return connection_services.plan_name(obj.xero_plan)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colour = {"active": "#2e7d32", "needs_reauthorisation": "#c62828", "pending": "#ef6c00"}.get(obj.status, "#666")
        return format_html('<strong style="color:{}">{}</strong>', colour, obj.get_status_display())

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.procore_company_id else []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        schedules_sync(connection=form.instance)  # the cadences are the one source of the schedules
        changed = sorted({ConnectionSettings._meta.get_field(name).verbose_name for formset in formsets
                          for f in formset.forms for name in f.changed_data
                          if name in {fl.name for fl in ConnectionSettings._meta.fields}})
        if changed:
            audit_record(user=request.user, action=AuditEntry.Action.SETTINGS, connection=form.instance,
                         summary=f"Changed the settings: {', '.join(changed)}.")

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("connect/procore/", view(oauth.procore_start), name="connector_connection_procore_start"),
            path("<int:connection_id>/reconnect/procore/", view(oauth.procore_start),
                 name="connector_connection_procore_reconnect"),
            path("<int:connection_id>/procore-company/", view(oauth.procore_company),
                 name="connector_connection_procore_company"),
            path("<int:connection_id>/connect/xero/", view(oauth.xero_start), name="connector_connection_xero_start"),
            path("<int:connection_id>/xero-organisation/", view(oauth.xero_organisation),
                 name="connector_connection_xero_organisation"),
            path("<int:connection_id>/disconnect/", view(oauth.disconnect), name="connector_connection_disconnect"),
            path("<int:connection_id>/rotate-webhook-secret/", view(oauth.rotate_webhook_secret),
                 name="connector_connection_rotate_webhook_secret"),
            path("<int:connection_id>/sync/<str:kind>/", view(sync.sync_now), name="connector_connection_sync"),
            path("<int:connection_id>/preview/<str:kind>/", view(sync.preview), name="connector_connection_preview"),
            path("<int:connection_id>/companies/", view(companies.companies), name="connector_connection_companies"),
            path("<int:connection_id>/older-projects/", view(projects.older_projects),
                 name="connector_connection_older_projects"),
            path("<int:connection_id>/people/", view(people.people), name="connector_connection_people"),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from ..models import Kind

        object_id_ = object_id if str(object_id).isdigit() else None
        extra_context = {**(extra_context or {}),
                         "can_connect": member_can(request.user, object_id_, "connect_connection"),
                         "can_sync": member_can(request.user, object_id_, "run_sync"),
                         "can_manage_people": member_can(request.user, object_id_, "manage_members"),
                         "sync_kinds": list(Kind.choices)}
        connection = self.get_object(request, object_id)
        if connection is not None:
            extra_context["schedules"] = schedules_of(connection)
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_connect": may_connect_new(request.user),
                         "connect_url": reverse("admin:connector_connection_procore_start")}
        return super().changelist_view(request, extra_context)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ConnectionScoped, admin.ModelAdmin):
    view_codename = "view_sync_log"
    list_display = ("received_at", "connection", "source", "resource_name", "resource_id", "event_type", "state")
    list_filter = ("source", "state", "resource_name")
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("source", "hostname", "seen_at")
    list_filter = ("source",)

    # Not a connection's data: whether a worker and beat are alive, for anyone who belongs to a connection.
    def has_module_permission(self, request):
        return request.user.is_active and (request.user.is_superuser or connections_for(request.user).exists())

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False


# -- Celery's and django-celery-beat's screens: superusers only -----------------------------------------
# They run any task with any arguments and change any schedule, whatever the connection; people with a
# role use "Sync now" and the cadences on the connection's own page instead.
CELERY_APPS = ("django_celery_beat", "django_celery_results")
CONNECTION_SCHEDULES_NOTE = ("Connection schedules are changed only through the connection's settings (its "
                             "cadences) and run with “Sync now” on its page; they were left alone.")


class SuperuserOnly:
    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request, *args):
        return self._superuser(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request) and super().has_delete_permission(request, obj)


def _is_connection_schedule(task) -> bool:
    return task is not None and task.task == SYNC_TASK


class ConnectionSchedulesReadOnly:
    """One source of truth: the periodic tasks of connections are written by their settings alone."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _is_connection_schedule(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _is_connection_schedule(obj)

    def _others(self, request, queryset):
        others = queryset.exclude(task=SYNC_TASK)
        if others.count() != queryset.count():
            self.message_user(request, CONNECTION_SCHEDULES_NOTE, messages.WARNING)
        return others

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, self._others(request, queryset))


def _skipping_connection_schedules(name: str):
    base = getattr(beat_admin.PeriodicTaskAdmin, name)

    @admin.action(description=base.short_description)
    def action(self, request, queryset):
        return base(self, request, self._others(request, queryset))

    action.__name__ = name
    return action


class IntervalsOfConnectionsReadOnly:
    """An interval shared by connection schedules would change (or, deleted, remove) all of them."""

    def _used_by_connections(self, obj) -> bool:
        return obj is not None and PeriodicTask.objects.filter(interval=obj, task=SYNC_TASK).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._used_by_connections(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._used_by_connections(obj)


def _restrict_celery_admin(site=admin.site) -> None:
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label not in CELERY_APPS or isinstance(model_admin, SuperuserOnly):
            continue
        bases: tuple = (SuperuserOnly, type(model_admin))
        attrs: dict = {"__module__": __name__}
        if model is PeriodicTask:
            bases = (ConnectionSchedulesReadOnly,) + bases
            attrs.update({name: _skipping_connection_schedules(name) for name in model_admin.actions})
        elif model is IntervalSchedule:
            bases = (IntervalsOfConnectionsReadOnly,) + bases
        site.unregister(model)
        site.register(model, type(f"Restricted{type(model_admin).__name__}", bases, attrs))


_restrict_celery_admin()
