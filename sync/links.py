"""The binder: find or make the link of a record, and move it through its states."""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from connector.models import Link

State = Link.State


def fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def links_by_procore_id(connection, kind: str, procore_ids) -> dict[str, Link]:
    """procore id → link, for a list a run is about to judge: one query per 500 ids, not one per record."""
    ids, found = sorted({str(i) for i in procore_ids}), {}
    for start in range(0, len(ids), 500):
        for link in Link.objects.filter(connection=connection, kind=kind, procore_id__in=ids[start:start + 500]):
            found[link.procore_id] = link
    return found


def link_new(connection, kind: str, *, procore_id="", xero_id="", label: str = "", **fields) -> Link:
    """The link of a record known to have none yet (its list's links were just fetched): one INSERT."""
    ids = {"procore_id": str(procore_id)} if procore_id != "" else {"xero_id": str(xero_id)}
    try:
        with transaction.atomic():
            return Link.objects.create(connection=connection, kind=kind, procore_id=str(procore_id),
                                       xero_id=str(xero_id), label=label[:255], **fields)
    except IntegrityError:  # made meanwhile after all: use that one
        return Link.objects.get(connection=connection, kind=kind, **ids)


def link_for_procore(connection, kind: str, procore_id, *, label: str = "", initial_state: str = State.READY) -> Link:
    link, created = Link.objects.get_or_create(
        connection=connection, kind=kind, procore_id=str(procore_id),
        defaults={"label": label[:255], "state": initial_state},
    )
    if not created and label and link.label != label[:255]:
        link.label = label[:255]
        link.save(update_fields=["label", "updated_at"])
    return link


def link_for_xero(connection, kind: str, xero_id: str, *, label: str = "") -> Link:
    link, _ = Link.objects.get_or_create(connection=connection, kind=kind, xero_id=str(xero_id),
                                         defaults={"label": label[:255]})
    return link


def link_mark_exporting(links: list[Link], key: str) -> None:
    """Store the intent before the remote call, committed, so a crash finds it."""
    with transaction.atomic():
        Link.objects.filter(pk__in=[link.pk for link in links]).update(
            state=State.EXPORTING, idempotency_key=key, updated_at=timezone.now())
    for link in links:
        link.state, link.idempotency_key = State.EXPORTING, key


def link_bind(link: Link, *, xero_id: str = "", procore_id: str = "", fingerprint_value: str = "",
              reference: str = "", data: dict | None = None) -> Link:
    """Record the remote id and what was written; clears any earlier error."""
    if xero_id:
        link.xero_id = str(xero_id)
    if procore_id:
        link.procore_id = str(procore_id)
    link.state = State.SYNCED
    link.fingerprint = fingerprint_value or link.fingerprint
    link.reference = reference or link.reference
    link.last_error = link.hint = ""
    link.synced_at = timezone.now()
    if data is not None:
        link.data = {**link.data, **data}
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        # The remote record is already linked to another local record: never bind it twice.
        link.refresh_from_db()
        link_fail(link, message="This Xero record is already linked to another Procore record.",
                  hint="Check the links of this kind for a duplicate in Procore.")
    return link


def link_fail(link: Link, *, message: str, hint: str = "", data: dict | None = None) -> Link:
    link.state = State.FAILED
    link.last_error, link.hint = message, hint
    link.attempts += 1
    if data is not None:
        link.data = data
    _store(link, ["state", "last_error", "hint", "attempts", "updated_at", *(["data"] if data is not None else [])])
    return link


def _store(link: Link, fields: list[str]) -> None:
    """Save these fields; a link made in memory only (a record seen for the first time) is inserted whole."""
    if link.pk is None:
        link.save()
    else:
        link.save(update_fields=fields)


def link_set_state(link: Link, state: str, **fields) -> Link:
    link.state = state
    for name, value in fields.items():
        setattr(link, name, value)
    _store(link, ["state", "updated_at", *fields])
    return link
