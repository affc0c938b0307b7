"""Records (links) and their states: the one place a record's state changes.

Every state change — a person's accept, reject or re-send, a run's exporting/synced/failed — is a
transition that names the states it may leave and is applied as one conditional UPDATE. A run's transition
also requires the version it read: if a person (or anything else) moved the record meanwhile, nothing is
written, the caller is told, and the in-memory copy is refreshed so the run can say what happened. A
person's transition is checked against the states only, so it always wins over a run in flight. Only the
fields named are written; nobody's stale copy of the rest is saved back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import Decision, Link, LinkLine

State = Link.State
LEGACY_ACCEPTED = "legacy-accepted"  # accepted before contents were fingerprinted (migration 0007)
# What a run may send: judged ready (or changed since Xero refused it), an update of a synced one, a resend.
SENDABLE = (State.READY, State.SYNCED, State.FAILED)
RESENDABLE = SENDABLE + (State.EXPORTING,)


def fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# -- the transition ------------------------------------------------------------------------------------
def record_transition(link: Link, to: str, *, leaving: Iterable[str], person: bool = False, **fields) -> bool:
    """Move `link` to `to` if it is still in one of `leaving` (and, unless `person`, at the version this copy
    holds). Returns whether it moved; when it did not, `link` is refreshed from the database (or marked gone)."""
    leaving = list(leaving)
    now = timezone.now()
    rows = Link.objects.filter(pk=link.pk, state__in=leaving)
    if not person:
        rows = rows.filter(version=link.version)
    moved = rows.update(state=to, version=F("version") + 1, updated_at=now, **fields)
    if not moved:
        record_refresh(link)
        return False
    link.state, link.version, link.updated_at = to, link.version + 1, now
    for name, value in fields.items():
        setattr(link, name, value)
    return True


def _write_each(links: list[Link], names: list[str]) -> None:
    """Write the named fields of each link as its copy holds them: one statement run for every link
    (executemany), where bulk_update builds a CASE per field and link, which cost more than the rows."""
    if not links:
        return
    db = router.db_for_write(Link)
    connection = connections[db]
    fields = [Link._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(Link._meta.db_table)} SET "
           f"{', '.join(f'{quote(field.column)} = %s' for field in fields)} WHERE {quote(Link._meta.pk.column)} = %s")
    rows = [[field.get_db_prep_save(getattr(link, field.attname), connection) for field in fields] + [link.pk]
            for link in links]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def record_transition_all(links: list[Link], to: str, *, leaving: Iterable[str], each: dict[int, dict] | None = None,
                          **fields) -> list[Link]:
    """`record_transition` of a run for many links at once, with the same guards: each moves only from one of
    `leaving` and at the version its copy holds. One conditional UPDATE and one read back instead of a round
    trip per record; `each`: fields of one link (pk → fields) written with its move. Returns the links that
    moved; the others are refreshed (or marked gone) as `record_transition` does."""
    links, leaving, each = [link for link in links if link.pk is not None], list(leaving), each or {}
    if not links:
        return []
    now = timezone.now()
    by_version: dict[int, list[int]] = {}
    for link in links:
        by_version.setdefault(link.version, []).append(link.pk)
    guard = Q()
    for version, pks in by_version.items():  # a handful of versions: the pk index finds the rows
        guard |= Q(pk__in=pks, version=version)
    with transaction.atomic():
        Link.objects.filter(guard, state__in=leaving).update(state=to, version=F("version") + 1, updated_at=now,
                                                             **fields)
        # Ours are the rows at the next version, in the new state, stamped with this very moment (the rows
        # stay locked by this transaction until it ends, so nobody moved them in between).
        now_at = {pk: (state, version, at) for pk, state, version, at in Link.objects.filter(
            pk__in=[link.pk for link in links]).values_list("pk", "state", "version", "updated_at")}
        moved = [link for link in links if now_at.get(link.pk) == (to, link.version + 1, now)]
        groups: dict[tuple, list[Link]] = {}
        for link in moved:
            link.state, link.version, link.updated_at = to, link.version + 1, now
            for name, value in {**fields, **each.get(link.pk, {})}.items():
                setattr(link, name, value)
            groups.setdefault(tuple(sorted(each.get(link.pk, {}))), []).append(link)
        for names, group in groups.items():
            if names:  # one UPDATE statement per set of fields, written only where given
                _write_each(group, list(names))
    taken = {link.pk for link in moved}
    for link in links:
        if link.pk not in taken:
            record_refresh(link)
    return moved


def record_refresh(link: Link) -> Link:
    """The record as it stands now; `link.pk` becomes None when it is gone (merged into another)."""
    fresh = Link.objects.filter(pk=link.pk).first()
    if fresh is None:
        link.pk = None
        return link
    for field in Link._meta.concrete_fields:
        setattr(link, field.attname, getattr(fresh, field.attname))
    return link


def record_update(link: Link, **fields) -> bool:
    """Write engine-owned fields (snapshots, summary, bookkeeping) that differ from what `link` holds; the
    state and people's fields are not touched. Returns whether anything was written."""
    changed = {name: value for name, value in fields.items() if getattr(link, name) != value}
    if not changed or link.pk is None:
        return False
    Link.objects.filter(pk=link.pk).update(updated_at=timezone.now(), **changed)
    for name, value in changed.items():
        setattr(link, name, value)
    return True


def record_update_all(updates: list[tuple[Link, dict]]) -> int:
    """`record_update` for many links: what differs is written with one UPDATE statement per set of fields
    changed, run for all of them at once. Returns how many links were written."""
    now, groups = timezone.now(), {}
    for link, fields in updates:
        changed = {name: value for name, value in fields.items() if getattr(link, name) != value}
        if not changed or link.pk is None:
            continue
        for name, value in changed.items():
            setattr(link, name, value)
        link.updated_at = now
        groups.setdefault(tuple(sorted(changed)), []).append(link)
    for names, links in groups.items():
        _write_each(links, [*names, "updated_at"])
    return sum(len(links) for links in groups.values())


def record_moved_words(link: Link) -> str:
    """What happened to a record a run found moved, for the run's log."""
    if link.pk is None:
        return "The record was merged into another one meanwhile; this run left it alone."
    decision = link.decisions.order_by("-decided_at", "-id").first()
    if decision is not None:
        return (f"{decision.get_verdict_display()} by {decision.username or 'someone'} while this run was going; "
                f"the run left it as it is now ({link.get_state_display().lower()}).")
    return f"Changed by another process while this run was going; left as it is now ({link.get_state_display()})."


# -- making and finding records ------------------------------------------------------------------------
def records_by_procore_id(connection, kind: str, procore_ids) -> dict[str, Link]:
    """procore id → link, for a list a run is about to judge: one query per 500 ids, not one per record."""
    ids, found = sorted({str(i) for i in procore_ids}), {}
    for start in range(0, len(ids), 500):
        for link in Link.objects.filter(connection=connection, kind=kind, procore_id__in=ids[start:start + 500]):
            found[link.procore_id] = link
    return found


def record_new(connection, kind: str, *, procore_id="", xero_id="", label: str = "", state: str = State.READY,
               **fields) -> tuple[Link, bool]:
    """The link of a record known to have none yet: one INSERT. (link, True) when made; (the existing one,
    False) when someone made it meanwhile — the caller judges that one instead."""
    ids = {"procore_id": str(procore_id)} if procore_id != "" else {"xero_id": str(xero_id)}
    try:
        with transaction.atomic():
            return Link.objects.create(connection=connection, kind=kind, procore_id=str(procore_id),
                                       xero_id=str(xero_id), label=label[:255], state=state, **fields), True
    except IntegrityError:
        return Link.objects.get(connection=connection, kind=kind, **ids), False


def record_new_all(connection, kind: str, rows: list[dict]) -> list[tuple[Link, bool]]:
    """`record_new` for many records at once (each row: its ids, label, state and fields): one INSERT for
    all. Someone having made one of them meanwhile makes the whole batch fall back to `record_new` each, so
    that one comes back as (the existing link, False) and the others are made."""
    made = [Link(connection=connection, kind=kind, **{**row, "procore_id": str(row.get("procore_id", "")),
                                                      "xero_id": str(row.get("xero_id", "")),
                                                      "label": row.get("label", "")[:255]})
            for row in rows]
    if not made:
        return []
    try:
        with transaction.atomic():
            Link.objects.bulk_create(made)  # PostgreSQL and SQLite ≥ 3.35 give the new pks back
        return [(link, True) for link in made]
    except IntegrityError:
        return [record_new(connection, kind, **row) for row in rows]


# -- the engine's moves ----------------------------------------------------------------------------------
def record_mark_exporting(links: list[Link], key: str, references: dict[int, str] | None = None,
                          sent: dict[int, dict] | None = None, again: bool = False) -> list[Link]:
    """Store the intent before the remote call, committed, so a crash finds it: state exporting, the batch's
    Idempotency-Key and what is sent (the reference the record is found again by). Only records still as the
    run read them take it; the others (rejected meanwhile, say) are left out of the batch and returned
    refreshed in `link.state` for the caller to log. A link already exporting is never taken: it belongs to a
    batch whose answer is unknown (a time limit or a crash cut the call off), and only the lookup of what that
    batch sent (`sync.export.resolve_in_flight`) may release it — sending it again could make it twice —
    unless the caller has just read, under the document's lock, that the earlier send did not land (`again`)."""
    references, sent = references or {}, sent or {}
    each = {}
    for link in links:
        fields = each.setdefault(link.pk, {})
        if link.pk in references:
            fields["reference"] = references[link.pk][:255]
        if link.pk in sent:
            fields["engine_data"] = {**link.engine_data, "sent": sent[link.pk]}
    return record_transition_all(links, State.EXPORTING, leaving=RESENDABLE if again else SENDABLE, each=each, idempotency_key=key)


def record_bind(link: Link, *, xero_id: str = "", procore_id: str = "", fingerprint_value: str = "",
                reference: str = "", leaving=(State.EXPORTING, State.READY), **fields) -> bool:
    """Synced: the remote id and what was written are recorded; any earlier error is cleared. False when the
    record moved meanwhile (logged by the caller) or the remote record is already another record's."""
    values = {"last_error": "", "hint": "", "synced_at": timezone.now(), "refused_fingerprint": "",
              "waiting_for_kind": "", "waiting_for_id": "", **fields}
    if xero_id:
        values["xero_id"] = str(xero_id)
    if procore_id:
        values["procore_id"] = str(procore_id)
    if fingerprint_value:
        values["fingerprint"] = fingerprint_value
    if reference:
        values["reference"] = reference[:255]
    try:
        with transaction.atomic():
            return record_transition(link, State.SYNCED, leaving=leaving, **values)
    except IntegrityError:
        # The remote record is already linked to another local record: never bind it twice.
        record_refresh(link)
        record_fail(link, message="This record is already linked to another record of the other system.",
                    hint="Check the records of this kind for a duplicate.", leaving=[link.state])
        return False


def record_bind_all(binds: list[tuple[Link, dict]], *, leaving=(State.EXPORTING,)) -> list[Link]:
    """`record_bind` for a batch of answers: (link, {xero_id or procore_id, fingerprint, reference}) each, in a few
    queries. A remote id already another record's makes the whole batch fall back to one bind per record,
    so only that one fails. Returns the links bound; the others are refreshed for the caller to log."""
    values = {"last_error": "", "hint": "", "synced_at": timezone.now(), "refused_fingerprint": "",
              "waiting_for_kind": "", "waiting_for_id": ""}
    each = {link.pk: {name: value[:255] if name == "reference" else value
                      for name, value in given.items() if value} for link, given in binds}
    try:
        with transaction.atomic():
            return record_transition_all([link for link, _ in binds], State.SYNCED, leaving=leaving, each=each,
                                         **values)
    except IntegrityError:
        for link, _given in binds:
            record_refresh(link)
        return [link for link, given in binds
                if record_bind(link, xero_id=given.get("xero_id", ""), procore_id=given.get("procore_id", ""),
                               fingerprint_value=given.get("fingerprint", ""), reference=given.get("reference", ""),
                               leaving=leaving)]


def record_fail(link: Link, *, message: str, hint: str = "", refused: str | None = None,
                leaving=(State.READY, State.EXPORTING, State.AWAITING_APPROVAL, State.WAITING, State.FAILED,
                         State.SYNCED), **fields) -> bool:
    """Failed: refused by the other system (or by our own checks). `refused`: the content that was refused —
    not offered again until it changes or a person retries it."""
    if refused is not None:
        fields["refused_fingerprint"] = refused
    return record_transition(link, State.FAILED, leaving=leaving, last_error=message, hint=hint,
                             attempts=link.attempts + 1, waiting_for_kind="", waiting_for_id="", **fields)


def record_wait(link: Link, *, message: str, hint: str, waiting_for: tuple[str, str],
                leaving=(State.READY, State.AWAITING_APPROVAL, State.WAITING, State.FAILED, State.EXPORTING),
                **fields) -> bool:
    """Waiting for another record (its vendor, project, commitment, item): moves on by itself once that one is
    in Xero."""
    return record_transition(link, State.WAITING, leaving=leaving, last_error=message, hint=hint,
                             waiting_for_kind=waiting_for[0], waiting_for_id=str(waiting_for[1]), **fields)


def record_lines_set(link: Link, lines: list[LinkLine]) -> None:
    """Replace the lines kept for a document (what was written is the truth now)."""
    LinkLine.objects.filter(link=link).delete()
    for position, line in enumerate(lines):
        line.link, line.position = link, line.position or position
    LinkLine.objects.bulk_create(lines)


def record_lines_set_all(lines_of: list[tuple[Link, list[LinkLine]]]) -> None:
    """`record_lines_set` for many documents: one DELETE and one INSERT per batch."""
    lines_of = [(link, lines) for link, lines in lines_of if link.pk is not None]
    if not lines_of:
        return
    LinkLine.objects.filter(link__in=[link.pk for link, _ in lines_of]).delete()
    made = []
    for link, lines in lines_of:
        for position, line in enumerate(lines):
            line.link, line.position = link, line.position or position
            made.append(line)
    LinkLine.objects.bulk_create(made)


def lines_by_link(link_ids) -> dict[int, list[LinkLine]]:
    found: dict[int, list[LinkLine]] = {}
    ids = list(link_ids)
    for start in range(0, len(ids), 500):
        for line in LinkLine.objects.filter(link_id__in=ids[start:start + 500]).order_by("position", "id"):
            found.setdefault(line.link_id, []).append(line)
    return found


def record_accepted_for(link: Link, content_fingerprint: str) -> bool:
    """Whether an accountant accepted this very content (or accepted it before contents were tracked)."""
    return bool(link.approved_fingerprint) and link.approved_fingerprint in (content_fingerprint, LEGACY_ACCEPTED)


def latest_decision(link: Link) -> Decision | None:
    return link.decisions.order_by("-decided_at", "-id").first()
