"""Celery entry points of the engine: ids in, one service call, the continuation policy here.

A run paused by the rate budget or the soft time limit is continued by the same task, queued for the moment
the budget allows (`eta`). The continuation takes the paused run up only once (`run_continue`), so a
continuation delivered twice (Redis redelivers an `eta` task held past its visibility timeout) does nothing
the second time.
"""

from datetime import datetime

from celery import shared_task
from celery.result import EagerResult


def _continue_later(task, args, kwargs, eta):
    if task.request.is_eager:  # in-process (tests): nothing would have changed by now; the run stays paused
        return None
    return task.apply_async(args, kwargs, eta=eta)


def _same_queue(task) -> dict:
    """The queue this task came from: a worker consuming only that queue also gets what it queues next."""
    queue = (task.request.delivery_info or {}).get("routing_key")
    return {"queue": queue} if queue else {}


@shared_task(name="sync.run_scope", acks_late=True, bind=True)
def sync_scope_task(self, connection_id: int, scope: str, trigger: str = "schedule", resume_kind: str | None = None,
                    run_id: int | None = None) -> dict:
    """With SYNC_SCOPE_KIND_PER_TASK one kind per task: the next kind is queued behind what other connections
    queued meanwhile, so one connection's long scope does not hold a worker while the others wait.
    `then`: the id of the task queued to go on (the next kind, or the paused run's continuation)."""
    from django.conf import settings

    from .services import sync_scope_run

    results = sync_scope_run(connection_id=connection_id, scope=scope, trigger=trigger, resume_kind=resume_kind,
                             run_id=run_id, one_kind=settings.SYNC_SCOPE_KIND_PER_TASK)
    paused, queued = results.get("paused"), None
    if paused:
        queued = _continue_later(sync_scope_task, (connection_id, scope, trigger),
                                 {"resume_kind": paused["kind"], "run_id": paused["run"]},
                                 datetime.fromisoformat(paused["resume_at"]))
    elif results.get("next"):
        queued = sync_scope_task.apply_async((connection_id, scope, trigger), {"resume_kind": results["next"]},
                                             **_same_queue(self))
        if isinstance(queued, EagerResult):  # run in this process (always eager): the rest of the scope is done
            results.update(queued.result)
            results.pop("next")
            queued = None
    if getattr(queued, "id", None):
        results["then"] = queued.id
    return results


@shared_task(name="sync.run_kind", acks_late=True, bind=True)
def sync_kind_task(self, connection_id: int, kind: str, trigger: str = "manual", record_id: str | None = None,
                   dry_run: bool = False, run_id: int | None = None):
    from connector.models import SyncRun

    from .services import sync_kind_run

    run = sync_kind_run(connection_id=connection_id, kind=kind, trigger=trigger, record_id=record_id,
                        dry_run=dry_run, run_id=run_id)
    if run and run.status == SyncRun.Status.PAUSED:
        _continue_later(sync_kind_task, (connection_id, kind, trigger, record_id, dry_run), {"run_id": run.pk},
                        run.resume_at)
    return {"run": run.pk if run else None, "status": run.status if run else "skipped"}


@shared_task(name="sync.sweep", acks_late=True)
def sweep_task() -> list[int]:
    """Beat, every few minutes: runs whose worker died or whose continuation was lost go on."""
    from .sweep import sweep_stranded

    runs = sweep_stranded()
    for run in runs:
        sync_kind_task.apply_async((run.connection_id, run.kind, run.trigger, None, run.dry_run), {"run_id": run.pk})
    return [run.pk for run in runs]


@shared_task(name="sync.webhook_event", acks_late=True)
def webhook_event_task(event_id: int) -> str:
    from .webhooks import webhook_event_process

    return webhook_event_process(event_id=event_id)
