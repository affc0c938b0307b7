"""Connecting, re-authorising and disconnecting: the company admin's first ten minutes."""

from __future__ import annotations

import logging
import secrets

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import ConnectionRefused, ConnectorError
from ..models import AuditEntry, Connection, ConnectionSettings, Credential, Membership
from .audit import audit_record
from .credentials import credential_store

logger = logging.getLogger(__name__)

SUPPORTED_COUNTRIES = {"US": "United States", "CA": "Canada"}
# Every Organisation.Class of Xero's current enum (specs/xero/xero_accounting.yaml): its plan's name and whether
# the connector serves it. Refused: the plans that cap or lack bills and purchase orders (Early/starter, the
# cashbook and ledger plans) and the demo company. A class newer than this table is served under its own name.
PLANS: dict[str, tuple[str, bool]] = {
    "DEMO": ("Demo company", False), "TRIAL": ("Trial", True), "STARTER": ("Early", False),
    "STANDARD": ("Growing", True), "PREMIUM": ("Established", True), "PREMIUM_20": ("Established (20)", True),
    "PREMIUM_50": ("Established (50)", True), "PREMIUM_100": ("Established (100)", True),
    "LEDGER": ("Ledger", False), "GST_CASHBOOK": ("Cashbook", False), "NON_GST_CASHBOOK": ("Cashbook", False),
    "ULTIMATE": ("Ultimate", True), "ULTIMATE_10": ("Ultimate (10)", True), "ULTIMATE_20": ("Ultimate (20)", True),
    "ULTIMATE_50": ("Ultimate (50)", True), "ULTIMATE_100": ("Ultimate (100)", True), "LITE": ("Lite", False),
    "IGNITE": ("Ignite", False), "GROW": ("Grow", True), "COMPREHENSIVE": ("Comprehensive", True),
    "SIMPLE": ("Simple", False), "BASICLITE": ("Basic Lite", False), "ULTRA": ("Ultra", True),
}
REFUSED_PLANS = {plan for plan, (_name, served) in PLANS.items() if not served}
PLAN_NAMES = {plan: name for plan, (name, _served) in PLANS.items()}


def plan_name(plan_class: str) -> str:
    return PLAN_NAMES.get(plan_class, plan_class.replace("_", " ").title() if plan_class else "")


def connection_start(*, user, procore_tokens) -> Connection:
    """A new pending connection holding the Procore authorisation; the company is chosen next."""
    with transaction.atomic():
        connection = Connection.objects.create(created_by=user, webhook_secret=secrets.token_urlsafe(32))
        if getattr(user, "pk", None):  # whoever connects administers it (and gets its e-mails)
            Membership.objects.create(connection=connection, user=user, role=Membership.Role.COMPANY_ADMIN,
                                      added_by=user)
        ConnectionSettings.objects.create(connection=connection)
        credential_store(connection=connection, provider=Credential.Provider.PROCORE, tokens=procore_tokens)
        audit_record(user=user, action=AuditEntry.Action.CONNECT, connection=connection,
                     summary="Started a connection: Procore authorised.")
    return connection


def connection_choose_procore_company(*, connection: Connection, company_id: int, company_name: str) -> Connection:
    clash = (Connection.objects.exclude(pk=connection.pk).exclude(status=Connection.Status.DISCONNECTED)
             .filter(procore_company_id=company_id).first())
    if clash:
        raise ConnectionRefused(
            f"Procore company “{company_name}” is already joined to "
            f"{clash.xero_organisation_name or 'a Xero organisation'} (connection #{clash.pk}). "
            "One Procore company can be joined to one Xero organisation only; disconnect that one first."
        )
    connection.procore_company_id, connection.procore_company_name = company_id, company_name
    try:
        with transaction.atomic():
            connection.save(update_fields=["procore_company_id", "procore_company_name"])
    except IntegrityError as exc:  # a concurrent connect of the same company
        raise ConnectionRefused(f"Procore company “{company_name}” was just joined by someone else.") from exc
    return connection


def organisation_check(organisation: dict) -> None:
    """Refuse organisations the connector cannot serve, saying why."""
    country = organisation.get("CountryCode") or ""
    plan = organisation.get("Class") or ""
    name = organisation.get("Name") or "This organisation"
    if country not in SUPPORTED_COUNTRIES:
        raise ConnectionRefused(
            f"{name} is a {country or 'non-US/Canadian'} Xero organisation. The connector supports Xero "
            "organisations in the United States and Canada only."
        )
    if plan in REFUSED_PLANS:
        raise ConnectionRefused(
            f"{name} is on Xero's {plan_name(plan)} plan, which limits bills and purchase orders. "
            "Upgrade the organisation to Growing or Established, then connect again."
        )


def connection_attach_xero(*, connection: Connection, tenant_id: str, organisation: dict,
                           xero_tokens=None, user=None) -> Connection:
    """Join the chosen Xero organisation after checking its country and plan; activates the connection.

    `xero_tokens` is given when they are not stored on the connection yet.
    """
    organisation_check(organisation)
    name = organisation.get("Name", "")
    clash = (Connection.objects.exclude(pk=connection.pk).exclude(status=Connection.Status.DISCONNECTED)
             .filter(xero_tenant_id=tenant_id).first())
    if clash:
        raise ConnectionRefused(
            f"Xero organisation “{name}” is already joined to Procore company "
            f"“{clash.procore_company_name}” (connection #{clash.pk}). One Xero organisation can be joined "
            "to one Procore company only."
        )
    try:
        with transaction.atomic():
            connection.xero_tenant_id = tenant_id
            connection.xero_organisation_name = name
            connection.xero_country = organisation.get("CountryCode", "")
            connection.xero_plan = organisation.get("Class", "")
            connection.save()
            if xero_tokens is not None:
                credential_store(connection=connection, provider=Credential.Provider.XERO, tokens=xero_tokens)
    except IntegrityError as exc:
        raise ConnectionRefused(f"Xero organisation “{name}” was just joined by someone else.") from exc
    if connection.procore_company_id:
        connection_activate(connection=connection)
    audit_record(user=user, action=AuditEntry.Action.CONNECT, connection=connection,
                 summary=f"Connected {connection}.")
    return connection


def procore_company_ids(*, access_token: str, company_id: int | None = None) -> set[int]:
    """The Procore companies a fresh authorisation reaches (Procore tokens belong to the user who consented)."""
    from ..clients import procore_client_with_token

    client = procore_client_with_token(access_token, budget_company_id=company_id)
    return {int(company["id"]) for company in client.list_all("/rest/v1.0/companies")}


def connection_reauthorise_procore(*, connection: Connection, procore_tokens, user=None) -> Connection:
    """Keep a new Procore authorisation only if it reaches this connection's company; else keep the old one.

    Whoever consents decides what the tokens reach, so a colleague signed in to another company would
    otherwise silently point the connection at data it was never meant to sync."""
    from .. import oauth

    _refuse_if_disconnected(connection)
    if connection.procore_company_id:
        try:
            reached = procore_company_ids(access_token=procore_tokens.access_token,
                                          company_id=connection.procore_company_id)
        except Exception as exc:
            logger.warning("Listing the companies of a Procore re-authorisation failed: %s", type(exc).__name__)
            raise ConnectionRefused("Procore could not say which companies this sign-in reaches, so nothing was "
                                    "changed. Try reconnecting in a few minutes.") from exc
        if connection.procore_company_id not in reached:
            try:  # the unused token is ours to revoke; revoking touches only that token
                oauth.procore_oauth().revoke(procore_tokens.access_token)
            except Exception as exc:  # best effort; it expires on its own
                logger.warning("Revoking a refused Procore authorisation failed: %s", type(exc).__name__)
            raise ConnectionRefused(
                f"That Procore sign-in cannot reach “{connection.procore_company_name}” (company "
                f"{connection.procore_company_id}), the company of this connection. Sign in to Procore as a "
                "user of that company and reconnect. Nothing was changed: the connection keeps its previous "
                "authorisation."
            )
    credential_store(connection=connection, provider=Credential.Provider.PROCORE, tokens=procore_tokens)
    audit_record(user=user, action=AuditEntry.Action.REAUTHORISE, connection=connection,
                 summary=f"Re-authorised Procore for {connection}.")
    return _reactivate(connection)


def connection_reauthorise_xero(*, connection: Connection, xero_tokens, user=None) -> Connection:
    """Keep a new Xero authorisation only if it reaches this connection's organisation.

    Xero tokens belong to the user who consented; /connections lists the organisations they reach."""
    from .. import oauth

    _refuse_if_disconnected(connection)
    try:
        tenants = {t.get("tenantId") for t in oauth.xero_oauth().connections(xero_tokens.access_token)}
    except Exception as exc:
        logger.warning("Listing the organisations of a Xero re-authorisation failed: %s", type(exc).__name__)
        raise ConnectionRefused("Xero could not say which organisations this sign-in reaches, so nothing was "
                                "changed. Try reconnecting in a few minutes.") from exc
    if connection.xero_tenant_id not in tenants:
        raise ConnectionRefused(
            f"That Xero sign-in does not reach “{connection.xero_organisation_name}”, the organisation of this "
            "connection. Reconnect as a user of that organisation and choose it on Xero's page. Nothing was "
            "changed: the connection keeps its previous authorisation."
        )
    credential_store(connection=connection, provider=Credential.Provider.XERO, tokens=xero_tokens)
    audit_record(user=user, action=AuditEntry.Action.REAUTHORISE, connection=connection,
                 summary=f"Re-authorised Xero for {connection}.")
    return _reactivate(connection)


def _refuse_if_disconnected(connection: Connection) -> None:
    if connection.status == Connection.Status.DISCONNECTED:
        raise ConnectionRefused(f"{connection} was disconnected and stays as history. Use “Connect Procore” "
                                "on the connections page to start a new connection.")


def _reactivate(connection: Connection) -> Connection:
    if connection.procore_company_id and connection.xero_tenant_id:
        connection_activate(connection=connection)
    return connection


def connection_activate(*, connection: Connection) -> Connection:
    first_time = connection.connected_at is None
    connection.status = Connection.Status.ACTIVE
    connection.status_reason = ""
    if first_time:
        connection.connected_at = timezone.now()
    connection.save(update_fields=["status", "status_reason", "connected_at"])
    from .schedules import schedules_sync

    schedules_sync(connection=connection)
    transaction.on_commit(lambda: _register_webhooks_safely(connection.pk))
    return connection


def _register_webhooks_safely(connection_id: int) -> None:
    from .webhooks import procore_hook_register

    try:
        procore_hook_register(connection=Connection.objects.get(pk=connection_id))
    except Exception as exc:  # webhooks only speed syncs up; scheduled runs still catch everything
        logger.warning("Could not register the Procore webhook for connection %s: %s", connection_id, exc)


def connection_mark_needs_reauthorisation(*, connection: Connection, reason: str) -> None:
    if connection.status == Connection.Status.NEEDS_REAUTHORISATION:
        return
    connection.status = Connection.Status.NEEDS_REAUTHORISATION
    connection.status_reason = reason
    connection.save(update_fields=["status", "status_reason"])
    from ..selectors import company_admins

    recipients = [user.email for user in company_admins(connection) if user.email]
    if recipients:
        transaction.on_commit(lambda: send_mail(
            subject=f"Action needed: reconnect {connection}",
            message=f"{reason}\n\nOpen the connector's admin, choose the connection and use “Reconnect”. "
                    "Syncs for this connection are paused until then; nothing is lost.",
            from_email=None,
            recipient_list=recipients,
            fail_silently=True,
        ))
    logger.warning("Connection %s needs re-authorisation: %s", connection.pk, reason)


def connection_disconnect(*, connection: Connection, user=None) -> Connection:
    """Remove the Procore hook, revoke the tokens on both sides, stop the schedules; keep the history."""
    from .. import oauth
    from .schedules import schedules_sync
    from .webhooks import procore_hook_remove

    if connection.procore_hook_id:
        try:  # while the Procore token still works; a hook left behind is also refused (no secret below)
            procore_hook_remove(connection=connection)
        except Exception as exc:
            logger.warning("Removing the Procore webhook of connection %s failed: %s", connection.pk,
                           type(exc).__name__)
    for credential in connection.credentials.filter(revoked_at__isnull=True):
        try:
            if credential.provider == Credential.Provider.PROCORE:
                oauth.procore_oauth().revoke(credential.access_token)
            else:
                oauth.xero_oauth().revoke(credential.refresh_token)
        except Exception as exc:  # revoke is best effort; the tokens are dropped here anyway
            logger.warning("Revoking %s tokens of connection %s failed: %s", credential.provider, connection.pk,
                           type(exc).__name__)
        credential.access_token, credential.refresh_token = "revoked", ""
        credential.revoked_at = timezone.now()
        credential.save(update_fields=["access_token", "refresh_token", "revoked_at"])
    connection.status = Connection.Status.DISCONNECTED
    connection.status_reason = "Disconnected by an admin; tokens were revoked."
    connection.disconnected_at = timezone.now()
    connection.webhook_secret = ""  # any later Procore delivery is refused
    connection.save(update_fields=["status", "status_reason", "disconnected_at", "webhook_secret"])
    schedules_sync(connection=connection)
    audit_record(user=user, action=AuditEntry.Action.DISCONNECT, connection=connection,
                 summary=f"Disconnected {connection}; tokens revoked, schedules stopped.")
    return connection


def connection_rotate_webhook_secret(*, connection: Connection, user=None) -> Connection:
    """A new secret for Procore deliveries: Procore's hook is told first, then the secret is saved, so a
    failure leaves both sides on the old one. Deliveries sent in between are refused and retried by Procore."""
    from .webhooks import procore_hook_register

    if not connection.is_active:
        raise ConnectorError("Only an active connection has a Procore webhook; reconnect it first.")
    new_secret = secrets.token_urlsafe(32)
    try:
        procore_hook_register(connection=connection, secret=new_secret)
    except Exception as exc:
        logger.warning("Rotating the webhook secret of connection %s failed: %s", connection.pk,
                       type(exc).__name__)
        raise ConnectorError("Procore could not be reached to change the webhook secret; nothing was changed. "
                             "Try again in a few minutes.") from exc
    connection.webhook_secret = new_secret
    connection.save(update_fields=["webhook_secret"])
    audit_record(user=user, action=AuditEntry.Action.ROTATE_SECRET, connection=connection,
                 summary=f"Rotated the Procore webhook secret of {connection}.")
    return connection
