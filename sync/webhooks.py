"""Webhook events → runs, never dropped.

An event stays queued until a run that covers its record has ended: a run of one record when it comes alone,
one run of its kind for all the events that came while that kind was running (a burst is coalesced, not
lost). An event that finds its kind running waits; the running run judges it right after it ends
(`sync_kind_run` drains the events of its kind). Only then is it marked processed.
"""

from __future__ import annotations

from connector.models import Kind, SyncRun, WebhookEvent

from .runs import RunInProgress

State = WebhookEvent.State
DONE = (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)

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


def _meaning(event: WebhookEvent) -> tuple[str | None, bool]:
    return WEBHOOK_KINDS.get((event.source, event.resource_name.lower()), (None, False))


def webhook_event_process(*, event_id: int) -> str:
    """One webhook event's task: the events of its kind waiting now, judged by one run."""
    from .services import KINDS

    event = WebhookEvent.objects.get(pk=event_id)
    if event.state != State.QUEUED:
        return event.state  # a run already took it up with others of its kind
    kind, _narrow = _meaning(event)
    if kind is None or kind not in KINDS:
        event.state, event.message = State.IGNORED, "Not something this connector follows (yet)."
        event.save(update_fields=["state", "message"])
        return event.state
    webhook_events_drain(connection_id=event.connection_id, kind=kind)
    event.refresh_from_db()
    return event.state


def webhook_events_drain(*, connection_id: int, kind: str) -> None:
    """Run `kind` for its queued events until none is left (one arriving meanwhile makes another round)."""
    from .services import sync_kind_run

    while True:
        events = [e for e in WebhookEvent.objects.filter(connection_id=connection_id, state=State.QUEUED)
                  .order_by("received_at", "pk") if _meaning(e)[0] == kind]
        if not events:
            return
        alone = len(events) == 1 and _meaning(events[0])[1]
        try:
            run = sync_kind_run(connection_id=connection_id, kind=kind, trigger=SyncRun.Trigger.WEBHOOK,
                                record_id=events[0].resource_id if alone else None, drain=False, busy_raises=True)
        except RunInProgress:
            _say(events, "Waiting: a sync of this kind is running; it is judged right after that one.")
            return
        if run is None or run.status not in DONE:
            words = (f"Sync run #{run.pk}: {run.get_status_display().lower()}; judged again when it goes on."
                     if run else "The connection is paused; the next run after it goes on judges it.")
            _say(events, words)
            return
        done = f"Sync run #{run.pk}: {run.get_status_display().lower()}."
        WebhookEvent.objects.filter(pk__in=[e.pk for e in events], state=State.QUEUED).update(
            state=State.PROCESSED, message=done)


def _say(events, message: str) -> None:
    WebhookEvent.objects.filter(pk__in=[e.pk for e in events], state=State.QUEUED).update(message=message)
