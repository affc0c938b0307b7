"""The connect flows as a person does them in a browser: consent at Procore, pick the company,
consent at Xero, pick the organisation; re-authorise, rotate the webhook secret, disconnect.

Views are thin: the services decide. Redirect URIs come from SITE_URL (connector/oauth.py), never from
the request's Host header, which a client controls."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import oauth
from ..clients import WEB_WAIT_S, procore_client_for, xero_client_for
from ..errors import ConnectionRefused, ConnectorError
from ..models import Connection, Credential
from ..selectors import xero_as_dict
from ..services import connections as svc
from ..services.credentials import credential_store
from .access import connection_check, connection_permission

CONNECT = "connect_connection"


def _remember(request, provider: str, connection_id: int | None) -> str:
    state = secrets.token_urlsafe(24)
    request.session["oauth"] = {"state": state, "provider": provider, "connection": connection_id}
    return state


def _recall(request, provider: str) -> dict:
    saved = request.session.pop("oauth", None) or {}
    if saved.get("provider") != provider or not secrets.compare_digest(saved.get("state", ""),
                                                                        request.GET.get("state", "")):
        raise PermissionDenied("This sign-in link has expired or was not started here. Start connecting again.")
    return saved


def _change_url(connection: Connection) -> str:
    return reverse("admin:connector_connection_change", args=[connection.pk])


@connection_permission(CONNECT)
def procore_start(request, connection_id: int | None = None):
    state = _remember(request, "procore", connection_id)
    return redirect(oauth.procore_oauth().authorize_url(state))


@connection_permission(CONNECT)
def procore_callback(request):
    saved = _recall(request, "procore")
    connection_check(request.user, saved.get("connection"), CONNECT)
    if "error" in request.GET or "code" not in request.GET:
        messages.error(request, "Procore did not grant access, so nothing was connected.")
        return redirect("admin:connector_connection_changelist")
    tokens = oauth.procore_oauth().exchange_code(request.GET["code"])
    if saved.get("connection"):  # re-authorising an existing connection
        connection = get_object_or_404(Connection, pk=saved["connection"])
        try:
            svc.connection_reauthorise_procore(connection=connection, procore_tokens=tokens, user=request.user)
        except ConnectionRefused as exc:
            messages.error(request, str(exc))
            return redirect(_change_url(connection))
        return _reauthorised(request, connection, "Procore")
    connection = svc.connection_start(user=request.user, procore_tokens=tokens)
    return redirect("admin:connector_connection_procore_company", connection.pk)


@connection_permission(CONNECT)
def procore_company(request, connection_id: int):
    connection = get_object_or_404(Connection, pk=connection_id)
    companies = procore_client_for(connection, max_wait_s=WEB_WAIT_S).get("/rest/v1.0/companies")
    if request.method == "POST":
        chosen = next((c for c in companies if str(c["id"]) == request.POST.get("company_id")), None)
        if chosen is None:
            messages.error(request, "Pick one of the companies listed.")
        else:
            try:
                svc.connection_choose_procore_company(connection=connection, company_id=chosen["id"],
                                                      company_name=chosen["name"])
            except ConnectionRefused as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Procore company “{chosen['name']}” chosen. Now connect Xero.")
                return redirect("admin:connector_connection_change", connection.pk)
    return render(request, "admin/connector/connection/pick.html", {
        "title": "Choose the Procore company", "connection": connection, "field": "company_id",
        "options": [(c["id"], c["name"]) for c in companies if c.get("is_active", True)],
        "opts": Connection._meta, "help": "One Procore company is joined to one Xero organisation.",
    })


@connection_permission(CONNECT)
def xero_start(request, connection_id: int):
    get_object_or_404(Connection, pk=connection_id)
    state = _remember(request, "xero", connection_id)
    return redirect(oauth.xero_oauth().authorize_url(state))


@connection_permission(CONNECT)
def xero_callback(request):
    saved = _recall(request, "xero")
    connection_check(request.user, saved.get("connection") or 0, CONNECT)
    connection = get_object_or_404(Connection, pk=saved.get("connection"))
    if "error" in request.GET or "code" not in request.GET:
        messages.error(request, "Xero did not grant access, so nothing was connected.")
        return redirect(_change_url(connection))
    xero = oauth.xero_oauth()
    tokens = xero.exchange_code(request.GET["code"])
    if connection.xero_tenant_id:  # re-authorising: the organisation must stay the same
        try:
            svc.connection_reauthorise_xero(connection=connection, xero_tokens=tokens, user=request.user)
        except ConnectionRefused as exc:
            messages.error(request, str(exc))
            return redirect(_change_url(connection))
        return _reauthorised(request, connection, "Xero")
    credential_store(connection=connection, provider=Credential.Provider.XERO, tokens=tokens)
    tenants = [t for t in xero.connections(tokens.access_token, getattr(tokens, "auth_event_id", None))
               if t.get("tenantType", "ORGANISATION") == "ORGANISATION"]
    if len(tenants) == 1:
        return _attach(request, connection, tenants[0]["tenantId"])
    request.session["xero_tenants"] = {t["tenantId"]: t.get("tenantName", "") for t in tenants}
    return redirect("admin:connector_connection_xero_organisation", connection.pk)


@connection_permission(CONNECT)
def xero_organisation(request, connection_id: int):
    connection = get_object_or_404(Connection, pk=connection_id)
    tenants = request.session.get("xero_tenants", {})
    if request.method == "POST" and request.POST.get("tenant_id") in tenants:
        return _attach(request, connection, request.POST["tenant_id"])
    return render(request, "admin/connector/connection/pick.html", {
        "title": "Choose the Xero organisation", "connection": connection, "field": "tenant_id",
        "options": list(tenants.items()), "opts": Connection._meta,
        "help": "One Xero organisation is joined to one Procore company.",
    })


def _attach(request, connection: Connection, tenant_id: str):
    try:
        organisation = xero_as_dict(xero_client_for(connection, tenant_id=tenant_id, max_wait_s=WEB_WAIT_S).organisation())
        with transaction.atomic():
            svc.connection_attach_xero(connection=connection, tenant_id=tenant_id, organisation=organisation,
                                       user=request.user)
    except ConnectionRefused as exc:
        Credential.objects.filter(connection=connection, provider=Credential.Provider.XERO).delete()
        messages.error(request, str(exc))
        return redirect(_change_url(connection))
    connection.refresh_from_db()
    messages.success(request, f"Connected: {connection}. Country {connection.xero_country}, "
                              f"plan {svc.plan_name(connection.xero_plan)}.")
    return redirect(_change_url(connection))


def _reauthorised(request, connection: Connection, provider_label: str):
    if connection.is_active:
        messages.success(request, f"{provider_label} re-authorised; {connection} is active.")
    else:
        messages.success(request, f"{provider_label} re-authorised.")
    return redirect(_change_url(connection))


@connection_permission(CONNECT)
def disconnect(request, connection_id: int):
    connection = get_object_or_404(Connection, pk=connection_id)
    if request.method == "POST":
        try:
            svc.connection_disconnect(connection=connection, user=request.user)
        except ConnectorError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Disconnected {connection}. Its history is kept.")
        return redirect(_change_url(connection))
    return render(request, "admin/connector/connection/disconnect.html",
                  {"title": "Disconnect", "connection": connection, "opts": Connection._meta})


@connection_permission(CONNECT)
@require_POST
def rotate_webhook_secret(request, connection_id: int):
    connection = get_object_or_404(Connection, pk=connection_id)
    try:
        svc.connection_rotate_webhook_secret(connection=connection, user=request.user)
    except ConnectorError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "New webhook secret set, and Procore's webhook now sends it. Deliveries "
                                  "with the old secret are refused.")
    return redirect(_change_url(connection))
