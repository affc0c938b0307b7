"""The approval queue: accountants accept or reject exports before anything reaches Xero."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from connector.models import Link

State = Link.State


class ApprovalError(Exception):
    pass


def _decided(link: Link, user, **extra) -> dict:
    return {**link.data, "decided_by": getattr(user, "username", "") or "", "decided_at": timezone.now().isoformat(),
            **extra}


def approval_accept(*, links, user=None) -> list[Link]:
    """Accepted records become ready to export; an export of their kind is queued right away."""
    accepted = []
    with transaction.atomic():
        for link in Link.objects.select_for_update().filter(pk__in=[l.pk for l in links],
                                                            state=State.AWAITING_APPROVAL):
            link.state, link.rejected_reason = State.READY, ""
            link.data = _decided(link, user, decision="accepted")
            link.save(update_fields=["state", "rejected_reason", "data", "updated_at"])
            accepted.append(link)
        _queue_exports(accepted)
    return accepted


def approval_reject(*, links, reason: str, user=None) -> list[Link]:
    """Rejected records keep the reason, stay visible, and can be re-sent after changes."""
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalError("Say why the record is rejected; the reason is shown to the project team.")
    rejected = []
    with transaction.atomic():
        for link in Link.objects.select_for_update().filter(pk__in=[l.pk for l in links],
                                                            state__in=[State.AWAITING_APPROVAL, State.READY]):
            link.state, link.rejected_reason = State.REJECTED, reason
            link.data = _decided(link, user, decision="rejected")
            link.save(update_fields=["state", "rejected_reason", "data", "updated_at"])
            rejected.append(link)
    return rejected


def approval_resend(*, links) -> list[Link]:
    """Put rejected (or failed) records back in the queue."""
    resent = []
    for link in Link.objects.filter(pk__in=[l.pk for l in links], state__in=[State.REJECTED, State.FAILED]):
        link.state = State.AWAITING_APPROVAL if link.state == State.REJECTED else State.READY
        link.save(update_fields=["state", "updated_at"])
        resent.append(link)
    _queue_exports([l for l in resent if l.state == State.READY])
    return resent


def _queue_exports(links: list[Link]) -> None:
    from .tasks import sync_kind_task

    for connection_id, kind in {(l.connection_id, l.kind) for l in links}:
        # A follow-up run: it re-reads the records just decided on, not the whole company.
        transaction.on_commit(lambda c=connection_id, k=kind: sync_kind_task.delay(c, k, "retry"))
