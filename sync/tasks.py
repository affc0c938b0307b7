"""Celery entry points of the engine: ids in, one service call, retry policy here."""

from celery import shared_task

from connector.pacing import BudgetExhausted


@shared_task(name="sync.run_scope", acks_late=True)
def sync_scope_task(connection_id: int, scope: str, trigger: str = "schedule") -> dict:
    from .services import sync_scope_run

    return sync_scope_run(connection_id=connection_id, scope=scope, trigger=trigger)


@shared_task(name="sync.run_kind", bind=True, acks_late=True, max_retries=5)
def sync_kind_task(self, connection_id: int, kind: str, trigger: str = "manual", record_id: str | None = None):
    from .services import sync_kind_run

    try:
        run = sync_kind_run(connection_id=connection_id, kind=kind, trigger=trigger, record_id=record_id)
    except BudgetExhausted as exc:  # the shared budget is spent: come back when it has refilled
        raise self.retry(exc=exc, countdown=max(exc.retry_after, 5))
    return {"run": run.pk if run else None, "status": run.status if run else "skipped"}


@shared_task(name="sync.webhook_event", acks_late=True)
def webhook_event_task(event_id: int) -> str:
    from .services import webhook_event_process

    return webhook_event_process(event_id=event_id)
