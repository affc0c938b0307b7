"""Running syncs: one kind for one connection, or every kind of a scope, in dependency order."""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta

from django.utils import timezone

from connector.models import Connection, Kind, SyncRun

from .context import SyncContext
from .explain import explain_exception
from .runs import RunInProgress, run_continue, run_finish, run_lock, run_pause, run_start
from .stops import PAUSES, database_after_interrupt, pause_behind

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
                  record_id: str | None = None, run_id: int | None = None, drain: bool = True,
                  busy_raises: bool = False) -> SyncRun | None:
    """Run one kind, or go on with the paused run `run_id`. Returns the run (None when the connection cannot
    sync now, a run is going, or the paused run was already taken up). A run that ends PAUSED carries
    `resume_at`: the task schedules its continuation for then. Webhook events of the kind that came while it
    ran are judged right after it (`drain`)."""
    connection = Connection.objects.get(pk=connection_id)
    if not connection.is_active:
        logger.info("Connection %s is %s; %s sync skipped", connection_id, connection.status, kind)
        return None
    if connection.parked_until and connection.parked_until > timezone.now():
        logger.info("Connection %s is parked until %s", connection_id, connection.parked_until)
        return None
    try:
        run = _run_kind(connection, kind, trigger=trigger, dry_run=dry_run, record_id=record_id, run_id=run_id)
    except RunInProgress as exc:
        if busy_raises:  # the webhook drain: its events wait for the running run
            raise
        logger.info("%s", exc)
        return None
    ended = (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)  # a failed run: its events wait for the next
    if drain and run is not None and run.status in ended and not run.dry_run:
        from .webhooks import webhook_events_drain

        webhook_events_drain(connection_id=connection_id, kind=kind)  # what arrived while it ran
    return run


def _run_kind(connection: Connection, kind: str, *, trigger: str, dry_run: bool, record_id: str | None,
              run_id: int | None) -> SyncRun | None:
    module_name, direction = KINDS[kind]
    with run_lock(connection.pk, kind):
        # Holding the lock means no other run of this kind is alive: one still "running" was cut off.
        for cut in SyncRun.objects.filter(connection=connection, kind=kind, status=SyncRun.Status.RUNNING):
            run_finish(cut, status=SyncRun.Status.FAILED,
                       message="Interrupted (the worker stopped mid-run); a later run picked the work up.")
        if run_id is not None:
            run = run_continue(run_id)
            if run is None:
                return None
        else:
            run = run_start(connection=connection, kind=kind, direction=direction, trigger=trigger,
                            dry_run=dry_run)
        ctx = SyncContext(connection=connection, run=run, dry_run=run.dry_run, record_id=record_id)
        try:
            importlib.import_module(module_name).run(ctx)
        except PAUSES as exc:
            return _run_paused(run, connection, ctx, exc)
        except Exception as exc:  # the whole call failed: say why, keep what was done
            database_after_interrupt()  # a connection the failure left mid-command cannot record it
            pause = pause_behind(exc)
            if pause is not None:
                return _run_paused(run, connection, ctx, pause)
            return _run_failed(run, connection, exc)
        return run_finish(run)


def _run_paused(run: SyncRun, connection: Connection, ctx: SyncContext, exc: Exception) -> SyncRun:
    """The budget is spent or the task's time is up: keep the place, go on when the budget allows."""
    from connector.pacing import BudgetExhausted

    if isinstance(exc, BudgetExhausted) and exc.platform == "xero" and exc.window == "day":
        return _run_failed(run, connection, exc)  # a day: the connection is parked, the schedule takes it up
    database_after_interrupt()
    for checkpoint in ctx.checkpoints:
        checkpoint()
    if isinstance(exc, BudgetExhausted):
        resume_at, why = timezone.now() + timedelta(seconds=exc.retry_after), str(exc).split(";")[0]
    else:
        resume_at, why = timezone.now(), "The worker task's time limit was reached"
    logger.info("Sync %s of connection %s paused until %s: %s", run.kind, connection.pk, resume_at, why)
    return run_pause(run, resume_at=resume_at, why=why)


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


def sync_scope_run(*, connection_id: int, scope: str, trigger: str, resume_kind: str | None = None,
                   run_id: int | None = None, one_kind: bool = False) -> dict:
    """Every kind of a scope in order; from `resume_kind` (going on with its paused run `run_id`) when a
    paused scope goes on. A kind that pauses stops the scope there: the kinds after it depend on it.
    `one_kind`: only the first of those kinds; `next` names the kind to run after it (the task queues it)."""
    kinds = available_kinds(scope)
    if resume_kind in kinds:
        kinds = kinds[kinds.index(resume_kind):]
    results = {}
    for n, kind in enumerate(kinds):
        run = sync_kind_run(connection_id=connection_id, kind=kind, trigger=trigger,
                            run_id=run_id if kind == resume_kind else None)
        results[kind] = run.status if run else "skipped"
        if run and run.status == SyncRun.Status.PAUSED:
            results["paused"] = {"kind": kind, "run": run.pk, "resume_at": run.resume_at.isoformat()}
            break
        if one_kind:
            if n + 1 < len(kinds):
                results["next"] = kinds[n + 1]
            break
    return results
