"""Every connector admin screen shows and changes only the data of the connections a person belongs to, as
their role on each allows (connector/services/roles.py); superusers see all.

`ConnectionScoped` filters the lists, checks each object's own connection for view and change, limits the
connection choices and filters, refuses actions on records outside the person's connections (403), and answers
"not found" (404) for another company's object. A new admin of connector data subclasses it and names
`connection_path`, the lookup from its model to its Connection."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.http import Http404

from ..models import Connection
from ..selectors import connections_for, member_can

# The admin's action permission names → the role permissions they need on each selected record's connection.
ACTION_PERMISSIONS = {"approve": "approve_exports", "run": "run_sync"}


def connection_of(obj, path: str):
    for part in filter(None, path.split("__")):
        obj = getattr(obj, part, None)
    return obj


def connection_filter(path: str):
    """The connection filter of a list, offering only the person's connections (the stock one lists all)."""

    class ConnectionFilter(admin.SimpleListFilter):
        title = "connection"
        parameter_name = f"{path}__id__exact" if path else "id__exact"

        def lookups(self, request, model_admin):
            return [(c.pk, str(c)) for c in connections_for(request.user, "view_connection")]

        def queryset(self, request, queryset):
            return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset

    return ConnectionFilter


class Scope:
    connection_path = "connection"  # "" on Connection itself
    view_codename = "view_connection"
    change_codename: str | None = None  # None: nobody changes these objects here (read-only)

    def _lookup(self) -> str:
        return f"{self.connection_path}__in" if self.connection_path else "pk__in"

    def _allowed(self, request, codename: str | None, obj=None) -> bool:
        if codename is None:
            return False
        if request.user.is_active and request.user.is_superuser:
            return True
        if obj is None:
            return connections_for(request.user, codename).exists()
        connection = obj if isinstance(obj, Connection) else connection_of(obj, self.connection_path)
        return member_can(request.user, connection, codename)


class ConnectionScoped(Scope):
    """Mixin for a ModelAdmin of connector data (before admin.ModelAdmin in the bases)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self._lookup(): connections_for(request.user, self.view_codename)})

    def has_module_permission(self, request):
        return self._allowed(request, self.view_codename)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, self.view_codename, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, self.change_codename, obj)

    def has_add_permission(self, request, *args):
        return False  # connector data comes from syncs and from connecting, never typed in

    def has_delete_permission(self, request, obj=None):
        return False  # history is kept

    def has_approve_permission(self, request):
        return self._allowed(request, "approve_exports")

    def has_run_permission(self, request):
        return self._allowed(request, "run_sync")

    def get_list_filter(self, request):
        return [connection_filter(self.connection_path) if f == (self.connection_path or "id") else f
                for f in super().get_list_filter(request)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Connection:
            kwargs["queryset"] = connections_for(request.user, self.change_codename or self.view_codename)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404("Not found.")  # another company's object: no hint that it exists

    def get_action(self, action):
        found = super().get_action(action)
        if found is None:
            return None
        func, name, description = found
        named = {"view": self.view_codename, "change": self.change_codename, **ACTION_PERMISSIONS}
        needs = [named.get(p, p) for p in getattr(func, "allowed_permissions", ())]
        lookup = self._lookup()

        @wraps(func)
        def scoped(modeladmin, request, queryset):
            for codename in needs:
                queryset = queryset.filter(**{lookup: connections_for(request.user, codename)})
            selected = set(request.POST.getlist(ACTION_CHECKBOX_NAME))
            if request.POST.get("select_across", "0") == "0" and queryset.count() < len(selected):
                raise PermissionDenied  # a record of a connection (or role) that does not allow this
            return func(modeladmin, request, queryset)

        return scoped, name, description


class ScopedInline(Scope):
    """Mixin for an inline: `obj` is the parent object, `connection_path` the lookup from the parent."""

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, self.view_codename, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, self.change_codename, obj)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, self.change_codename, obj)

    def has_delete_permission(self, request, obj=None):
        return False
