"""Running syncs: one kind for one connection, or every kind of a scope, in dependency order."""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta

from django.utils import timezone

from connector.models import Connection, Kind, SyncRun

from .context import SyncContext
from .explain import explain_exception
from .runs import RunInProgress, run_finish, run_lock, run_start

logger = logging.getLogger(__name__)

# kind → (module with `run(ctx)`, direction). Order inside a scope is the dependency order.
KINDS: dict[str, tuple[str, str]] = {
    Kind.COST_CODE: ("sync.objects.cost_codes", SyncRun.Direction.EXPORT),
    Kind.PROJECT: ("sync.objects.projects", SyncRun.Direction.EXPORT),
    Kind.VENDOR: ("sync.objects.vendors", SyncRun.Direction.EXPORT),
    Kind.COMMITMENT: ("sync.objects.commitments", SyncRun.Direction.EXPORT),
    Kind.CHANGE_ORDER: ("sync.objects.change_orders", SyncRun.Direction.EXPORT),
    Kind.INVOICE: ("sync.objects.invoices", SyncRun.Direction.EXPORT),
    Kind.JOB_COST: ("sync.objects.job_costs", SyncRun.Direction.IMPORT),
    Kind.PAYMENT: ("sync.objects.payments", SyncRun.Direction.IMPORT),
}
SCOPES: dict[str, list[str]] = {
    "company": [Kind.COST_CODE, Kind.PROJECT, Kind.VENDOR],
    "project": [Kind.COMMITMENT, Kind.CHANGE_ORDER, Kind.INVOICE, Kind.JOB_COST],
    "payments": [Kind.PAYMENT],
}


def available_kinds(scope: str | None = None) -> list[str]:
    kinds = SCOPES[scope] if scope else [k for s in SCOPES.values() for k in s]
    return [k for k in kinds if k in KINDS]


def sync_kind_run(*, connection_id: int, kind: str, trigger: str = SyncRun.Trigger.MANUAL, dry_run: bool = False,
                  record_id: str | None = None) -> SyncRun | None:
    """Run one kind. Returns the run (None when the connection cannot sync now, or a run is going)."""
    connection = Connection.objects.get(pk=connection_id)
    if not connection.is_active:
        logger.info("Connection %s is %s; %s sync skipped", connection_id, connection.status, kind)
        return None
    if connection.parked_until and connection.parked_until > timezone.now():
        logger.info("Connection %s is parked until %s", connection_id, connection.parked_until)
        return None
    module_name, direction = KINDS[kind]
    try:
        with run_lock(connection_id, kind):
            # Holding the lock means no other run of this kind is alive: one still "running" was cut off.
            for cut in SyncRun.objects.filter(connection=connection, kind=kind, status=SyncRun.Status.RUNNING):
                run_finish(cut, status=SyncRun.Status.FAILED,
                           message="Interrupted (the worker stopped mid-run); a later run picked the work up.")
            run = run_start(connection=connection, kind=kind, direction=direction, trigger=trigger, dry_run=dry_run)
            ctx = SyncContext(connection=connection, run=run, dry_run=dry_run, record_id=record_id)
            try:
                importlib.import_module(module_name).run(ctx)
            except Exception as exc:  # the whole call failed: say why, keep what was done
                return _run_failed(run, connection, exc)
            return run_finish(run)
    except RunInProgress as exc:
        logger.info("%s", exc)
        return None


def _run_failed(run: SyncRun, connection: Connection, exc: Exception) -> SyncRun:
    from connector.pacing import BudgetExhausted
    from xero_client.errors import XeroDayLimitReached

    message, _hint = explain_exception(exc)
    # Xero said the day is spent, or the shared budget knows it is (its headers said so before a 429).
    day_spent = isinstance(exc, BudgetExhausted) and exc.platform == "xero" and exc.window == "day"
    if isinstance(exc, XeroDayLimitReached) or day_spent:
        connection.parked_until = timezone.now() + timedelta(seconds=exc.retry_after or 3600)
        connection.parked_reason = "Xero's daily API limit for this organisation was reached."
        connection.save(update_fields=["parked_until", "parked_reason"])
        return run_finish(run, status=SyncRun.Status.PARKED, message=connection.parked_reason)
    logger.warning("Sync %s of connection %s failed: %s", run.kind, connection.pk, exc, exc_info=True)
    return run_finish(run, status=SyncRun.Status.FAILED, message=message)


def sync_scope_run(*, connection_id: int, scope: str, trigger: str) -> dict:
    results = {}
    for kind in available_kinds(scope):
        run = sync_kind_run(connection_id=connection_id, kind=kind, trigger=trigger)
        results[kind] = run.status if run else "skipped"
    return results


# What a webhook event means for the engine: resource → (kind, whether the resource id is that kind's record).
WEBHOOK_KINDS = {
    ("procore", "projects"): (Kind.PROJECT, True),
    ("procore", "company vendors"): (Kind.VENDOR, True),
    ("procore", "standard cost codes"): (Kind.COST_CODE, True),
    ("procore", "line item types"): (Kind.COST_CODE, False),
    ("procore", "work order contracts"): (Kind.COMMITMENT, True),
    ("procore", "purchase order contracts"): (Kind.COMMITMENT, True),
    ("procore", "change order packages"): (Kind.CHANGE_ORDER, True),
    ("xero", "contact"): (Kind.VENDOR, False),
    ("xero", "invoice"): (Kind.PAYMENT, False),
    # A supplier credit allocated to a bill changes what is due on it, as a payment does: the payment sync
    # reads what changed (Procore's payments issued take payments only; credit notes are not copied).
    ("xero", "creditnote"): (Kind.PAYMENT, False),
}


def webhook_event_process(*, event_id: int) -> str:
    """One webhook event → the same sync a schedule runs, narrowed to the record when we can."""
    from connector.models import WebhookEvent

    event = WebhookEvent.objects.select_related("connection").get(pk=event_id)
    if event.state != WebhookEvent.State.QUEUED:
        return event.state
    kind, narrow = WEBHOOK_KINDS.get((event.source, event.resource_name.lower()), (None, False))
    if kind is None or kind not in KINDS:
        event.state, event.message = WebhookEvent.State.IGNORED, "Not something this connector follows (yet)."
    else:
        run = sync_kind_run(connection_id=event.connection_id, kind=kind, trigger=SyncRun.Trigger.WEBHOOK,
                            record_id=event.resource_id if narrow else None)
        event.state = WebhookEvent.State.PROCESSED
        event.message = (f"Sync run #{run.pk}: {run.get_status_display().lower()}." if run
                         else "A sync was already running, or the connection is paused; the next run picks it up.")
    event.save(update_fields=["state", "message"])
    return event.state
