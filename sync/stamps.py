"""Procore shows what is in Xero: a commitment, change order package or subcontractor invoice the connector
wrote to Xero is stamped in Procore with `origin_id` = the Xero id and `origin_code` / `origin_data` = the
Xero number, as Procore's ERP tutorial describes (tutorial_financial_tools; `specs/procore`): commitments by
their sync action, packages and invoices by PATCH (an invoice has no `origin_code`). Procore then shows the
record as synced and locks it as it locks ERP records.

The stamp is kept on the link when Xero takes the record and sent at the end of the run, in as few calls as
Procore allows; one Procore cannot take now stays for the next run, one it refuses is said once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable

from connector.models import Link, SyncRecord
from connector.services.records import record_update_all
from procore_client.client import SYNC_MAX as CHUNK  # links per send: what one Procore sync action takes
from procore_client.errors import ProcoreValidationError

from .explain import explain_exception
from .runs import run_log
from .stops import RUN_STOPS

KEY = "origin_stamp"
DONE_EVERY = 50  # stamps PATCHed one by one, marked sent together: a crash re-sends at most these (harmless)
STAMPED = "stamped_at"
Action = SyncRecord.Action


def stamp_keep(engine_data: dict, stamp: dict) -> dict:
    """`engine_data` with the stamp to send (for a record_bind/record_update of the caller's)."""
    return {**engine_data, KEY: {k: v for k, v in stamp.items() if v not in (None, "")}}


def sync_refusals(result, links: list[Link]) -> dict[int, str]:
    """{link pk: words} from a sync action's per-item errors; the records it took are done."""
    by_id = {str(error.get("id")): error.get("errors") for error in result.errors}
    taken = {str(entity.get("id")): entity for entity in result.entities}
    _done([(link, taken[link.procore_id]) for link in links if link.procore_id in taken])
    return {link.pk: refusal_words(by_id[link.procore_id]) for link in links if link.procore_id in by_id}


def stamped_times(connection, kind: str) -> dict[str, str]:
    """Procore id → `updated_at` our own stamp gave the record: a list row still at that time has not changed
    since (sync.windows leaves it out of a run that reads only changes)."""
    rows = Link.objects.filter(connection=connection, kind=kind, engine_data__has_key=STAMPED).values_list(
        "procore_id", "engine_data")
    return {procore_id: data.get(STAMPED) for procore_id, data in rows if data.get(STAMPED)}


def refusal_words(errors: dict | str) -> str:
    """Procore's per-field answer in words."""
    if isinstance(errors, str):
        return errors
    words = []
    for field, messages in (errors or {}).items():
        for message in messages if isinstance(messages, list) else [messages]:
            if field == "origin_id" and "taken" in str(message):
                words.append("another Procore record already shows this Xero document")
            elif field == "base":
                words.append(str(message))
            else:
                words.append(f"{field.replace('_', ' ')} {message}")
    return "; ".join(words) or "no reason given"


def stamps_send(ctx, kind: str, group_by: tuple[str, ...],
                send: Callable[[Hashable, list[Link]], dict[int, str]]) -> None:
    """Every pending stamp of `kind`, one `send(group key, links)` per group of links alike in `group_by` →
    {link pk: refusal words}; a group's links are loaded CHUNK at a time, so a first sync with thousands of
    stamps holds at most one Procore sync batch of links in memory."""
    if ctx.dry_run:
        return
    pending, groups = Link.objects.filter(engine_data__has_key=KEY).exclude(procore_id=""), defaultdict(list)
    for *key, pk in (pending.filter(connection=ctx.connection, kind=kind).order_by(*group_by, "pk")
                     .values_list(*group_by, "pk")):
        groups[key[0] if len(key) == 1 else tuple(key)].append(pk)
    for key, pks in groups.items():
        for start in range(0, len(pks), CHUNK):
            _send_group(ctx, key, list(pending.filter(pk__in=pks[start:start + CHUNK]).order_by("pk")), send)


def _send_group(ctx, key, links: list[Link], send) -> None:
    try:
        refused = send(key, links)
    except RUN_STOPS:  # the budget, the time limit, our database: the run's business
        raise
    except Exception as exc:  # noqa: BLE001 - kept pending: a later run sends it
        message, hint = explain_exception(exc)
        for link in links:
            run_log(ctx.run, Action.FAILED, link=link, hint=hint,
                    message=f"In Xero, but not yet shown in Procore: {message}")
        return
    for link in links:
        if link.pk in refused:
            run_log(ctx.run, Action.FAILED, link=link,
                    message=f"In Xero, but Procore refused to show it: {refused[link.pk]}.",
                    hint="Nothing to do for Xero; check the record in Procore.")
    _done([(link, None) for link in links])


def _done(answered: list[tuple[Link, dict | None]]) -> None:
    """The stamps sent (or refused for good) are no longer pending: one statement for all of them."""
    updates = []
    for link, answer in answered:
        if KEY in link.engine_data:
            data = {k: v for k, v in link.engine_data.items() if k != KEY}
            if isinstance(answer, dict) and answer.get("updated_at"):
                data[STAMPED] = answer["updated_at"]
            updates.append((link, {"engine_data": data}))
    record_update_all(updates)


def one_by_one(patch: Callable[[Link, dict], object]) -> Callable[[Hashable, list[Link]], dict[int, str]]:
    """A `send` for records Procore stamps one PATCH each: a 422 refuses that record only."""
    def send(_key, links: list[Link]) -> dict[int, str]:
        refused, answered = {}, []
        try:
            for link in links:
                try:
                    answer = patch(link, link.engine_data[KEY])
                except ProcoreValidationError as exc:
                    refused[link.pk] = refusal_words(exc.fields or exc.message)
                    continue
                answered.append((link, answer))
                if len(answered) >= DONE_EVERY:
                    _done(answered)
                    answered = []
        finally:  # also when a later PATCH fails the group: the ones Procore took are never sent twice
            _done(answered)
        return refused
    return send
