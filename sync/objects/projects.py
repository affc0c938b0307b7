"""Procore projects ⇄ options of the Xero tracking category for jobs ("Job").

Export: every project created after the connection enters the approval queue; an accepted one
becomes an option and the Procore project gets origin_id = the option id. Accepting a project puts it in
Xero: a rename before it is exported sends it back to the queue; once it is an option, renames follow and
an inactive project archives its option (Xero caps active options). The option name sent is stored with the
intent, so a lost answer is found again by it. Import: options nobody linked are listed "ready to import"
(a link with only the Xero side).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from connector.models import Kind, Link, SyncRecord
from connector.services.projects import MAX_ACTIVE_OPTIONS, project_content
from connector.services.records import (
    record_accepted_for,
    record_bind,
    record_fail,
    record_mark_exporting,
    record_moved_words,
    record_new,
    record_transition,
    record_update,
)

from ..cursors import cursor_get, cursor_set, now, procore_window
from ..explain import explain_exception
from ..limits import OPTION_NAME, shortened, shortened_words
from ..runs import run_log, run_progress
from ..stops import RUN_STOPS
from ..tracking import project_category

KIND = Kind.PROJECT
State, Action = Link.State, SyncRecord.Action
NAME_LIMIT = OPTION_NAME  # the spec allows 100, Xero's tracking page 50: stay safe


# -- mapper (pure) ---------------------------------------------------------------------------------
def option_text(project: dict) -> str:
    number = (project.get("project_number") or "").strip()
    name = (project.get("name") or "").strip()
    return f"{number} {name}".strip() if number and not name.startswith(number) else name


def option_name(project: dict) -> str:
    return shortened(option_text(project), NAME_LIMIT)


def name_note(snapshot: dict) -> str:
    """Said on the record when the option's name is shorter than the project's (never cut silently)."""
    text = option_text({"project_number": snapshot.get("number"), "name": snapshot.get("name")})
    return " " + shortened_words("project's number and name", text, NAME_LIMIT) if len(text) > NAME_LIMIT else ""


def project_snapshot(project: dict) -> dict:
    return {"name": project.get("name", ""), "number": project.get("project_number") or "",
            "active": bool(project.get("active", True)), "created_at": project.get("created_at"),
            "updated_at": project.get("updated_at")}


def created_after(project: dict, moment: datetime | None) -> bool:
    created = project.get("created_at")
    if not created or moment is None:
        return False
    # Procore stamps whole seconds: compare at that precision.
    return datetime.fromisoformat(created.replace("Z", "+00:00")) >= moment.replace(microsecond=0)


# -- the run ---------------------------------------------------------------------------------------
def run(ctx) -> None:
    category = project_category(ctx)
    options = {o.tracking_option_id: o for o in (category.options or [])}
    started = now()
    projects = _changed_projects(ctx, started)
    run_progress(ctx.run, len(projects))
    for project in projects:
        _follow(ctx, project, category, options)
    _export_ready(ctx, category, options)
    _stamp_pending(ctx)
    _list_importable(ctx, options)
    if not ctx.dry_run and not ctx.record_id:
        cursor_set(ctx.connection, KIND, "procore", started)


def _changed_projects(ctx, started) -> list[dict]:
    query = {"filters[by_status]": "All"}
    if ctx.record_id:
        query["filters[id][]"] = [ctx.record_id]
    else:
        window = procore_window(cursor_get(ctx.connection, KIND, "procore"), started)
        if window:
            query["filters[updated_at]"] = f"{window[0]}...{window[1]}"
    return ctx.procore.projects(query)


def _follow(ctx, project: dict, category, options: dict) -> None:
    """Bring one Procore project's link up to date with Procore."""
    connection, run = ctx.connection, ctx.run
    link = Link.objects.filter(connection=connection, kind=KIND, procore_id=str(project["id"])).first()
    label, snapshot, content = option_name(project), project_snapshot(project), project_content(project)
    fields = {"label": label, "project_name": label, "document_number": snapshot["number"],
              "procore_snapshot": snapshot, "content_fingerprint": content}
    if link is None:
        if not (project.get("active", True) and created_after(project, connection.connected_at)):
            return  # older than the connection: linked by hand, never exported on its own
        if ctx.dry_run:
            run_log(run, Action.SKIPPED, label=label, procore_id=project["id"],
                    message="Would enter the approval queue (preview).")
            return
        link, made = record_new(connection, KIND, procore_id=project["id"], state=State.AWAITING_APPROVAL, **fields)
        if made:
            run_log(run, Action.SKIPPED, link=link,
                    message="New project: waiting for an accountant to accept it." + name_note(snapshot))
        return
    if ctx.dry_run:
        return
    record_update(link, **fields)
    if link.state == State.REJECTED and link.refused_fingerprint and link.refused_fingerprint != content:
        _move(ctx, link, State.AWAITING_APPROVAL, "Changed after it was rejected: back in the approval queue.",
              rejected_reason="")
        return
    if link.state == State.READY and not link.xero_id and not record_accepted_for(link, content):
        _move(ctx, link, State.AWAITING_APPROVAL, "Renamed in Procore after it was accepted: back in the approval "
                                                  "queue.")
        return
    option = options.get(link.xero_id)
    if option is None or link.state not in (State.SYNCED, State.ARCHIVED):
        return
    active = project.get("active", True)
    if not active and link.state == State.SYNCED:
        if _update_option(ctx, category, link, status="ARCHIVED", message="Project is inactive: its option was "
                                                                          "archived."):
            record_transition(link, State.ARCHIVED, leaving=[State.SYNCED])
    elif active and link.state == State.ARCHIVED:
        if _update_option(ctx, category, link, status="ACTIVE", message="Project is active again: option restored."):
            record_transition(link, State.SYNCED, leaving=[State.ARCHIVED])
    elif active and option.name != label:
        _update_option(ctx, category, link, name=label, message=f"Renamed to “{label}”." + name_note(snapshot))


def _move(ctx, link: Link, to: str, message: str, **fields) -> None:
    if record_transition(link, to, leaving=[link.state], **fields):
        run_log(ctx.run, Action.SKIPPED, link=link, message=message)
    else:
        run_log(ctx.run, Action.SKIPPED, link=link, message=record_moved_words(link))


def _update_option(ctx, category, link, *, message: str, name: str | None = None, status: str | None = None) -> bool:
    try:
        ctx.xero.update_tracking_option(category.tracking_category_id, link.xero_id, name=name, status=status)
    except RUN_STOPS:
        raise
    except Exception as exc:  # one record: log it, the run goes on
        text, hint = explain_exception(exc)
        run_log(ctx.run, Action.FAILED, link=link, message=text, hint=hint)
        return False
    run_log(ctx.run, Action.UPDATED, link=link, message=message)
    return True


def _export_ready(ctx, category, options: dict) -> None:
    """Accepted projects become options; one left exporting by a lost answer is found by the name sent."""
    ready = list(Link.objects.filter(connection=ctx.connection, kind=KIND, xero_id="",
                                     state__in=[State.READY, State.EXPORTING]).exclude(procore_id=""))
    by_name = {o.name.lower(): o.tracking_option_id for o in options.values()}
    active = sum(1 for o in options.values() if str(o.status) == "ACTIVE")
    for link in ready:
        if ctx.dry_run:
            run_log(ctx.run, Action.CREATED, link=link, message="Would be added as a tracking option (preview).")
            continue
        sent = link.reference or link.label
        found = by_name.get(sent.lower()) if link.state == State.EXPORTING else None
        if found:  # an earlier answer was lost: the option exists, bind it instead of creating a twin
            _bind(ctx, link, found, Action.LINKED, "Found in Xero after an interrupted export; linked.")
            continue
        if link.state == State.READY and not record_accepted_for(link, link.content_fingerprint):
            run_log(ctx.run, Action.SKIPPED, link=link,
                    message="Not sent: its current name has not been accepted in the approval queue.")
            continue
        if active >= MAX_ACTIVE_OPTIONS:  # said before Xero refuses it; a person re-sends it once there is room
            text = (f"“{category.name}” already has Xero's {MAX_ACTIVE_OPTIONS} active tracking options: this "
                    "project cannot have one until some are archived.")
            hint = ("Use “Retire closed projects” on the connections list (or archive options in Xero), then "
                    "re-send the project.")
            if record_fail(link, message=text, hint=hint, leaving=[State.READY, State.EXPORTING]):
                run_log(ctx.run, Action.FAILED, link=link, message=text, hint=hint)
            continue
        key = link.idempotency_key if link.state == State.EXPORTING and link.idempotency_key else f"option-{uuid.uuid4()}"
        # again: the options were just read, so one still exporting is not in Xero; its own key is reused
        if not record_mark_exporting([link], key, references={link.pk: link.label}, again=True):
            run_log(ctx.run, Action.SKIPPED, link=link, message=record_moved_words(link))
            continue
        try:
            option = ctx.xero.create_tracking_option(category.tracking_category_id, link.label, idempotency_key=key)
        except RUN_STOPS:  # left exporting: the next task finds the option by the name sent
            raise
        except Exception as exc:
            text, hint = explain_exception(exc)
            if getattr(exc, "status", None) == 400 or type(exc).__name__ == "XeroValidationError":
                text, hint = f"Xero refused the option: {exc}", "Rename the project in Procore, then re-send it."
                record_fail(link, message=text, hint=hint, refused=link.content_fingerprint,
                            leaving=[State.EXPORTING])
            run_log(ctx.run, Action.FAILED, link=link, message=text, hint=hint)
            continue
        by_name[link.label.lower()] = option.tracking_option_id
        active += 1
        _bind(ctx, link, option.tracking_option_id, Action.CREATED,
              f"Added to “{category.name}”." + name_note(link.procore_snapshot or {}))


def _bind(ctx, link: Link, option_id: str, action: str, message: str) -> None:
    """Linked now; the project's origin_id is stamped in Procore with the others at the end of the run."""
    if record_bind(link, xero_id=option_id, reference=link.reference or link.label, leaving=[State.EXPORTING],
                   engine_data={**link.engine_data, "stamp": option_id}):
        run_log(ctx.run, action, link=link, xero_id=option_id, message=message)
    else:
        run_log(ctx.run, Action.FAILED, link=link, message=link.last_error or record_moved_words(link))


def _stamp_pending(ctx) -> None:
    """origin_id = the option id on every Procore project linked but not stamped yet (this run's, or an
    earlier run's that was cut off), in sync calls of up to 1000: safe to repeat, so a lost answer is too."""
    if ctx.dry_run:
        return
    pending = [link for link in Link.objects.filter(connection=ctx.connection, kind=KIND, state=State.SYNCED,
                                                    engine_data__has_key="stamp").exclude(procore_id="")]
    if not pending:
        return
    try:
        result = ctx.procore.sync_projects([{"id": int(link.procore_id), "origin_id": link.engine_data["stamp"]}
                                            for link in pending])
    except RUN_STOPS:
        raise
    except Exception as exc:  # kept pending: the next run stamps them
        text, hint = explain_exception(exc)
        for link in pending:
            run_log(ctx.run, Action.FAILED, link=link, message=f"Could not record the option in Procore: {text}",
                    hint=hint)
        return
    refused = {str(error.get("id")): error.get("errors") for error in result.errors}
    for link in pending:
        if link.procore_id in refused:  # said once; the link stands (the option is ours either way)
            run_log(ctx.run, Action.FAILED, link=link, message="The option was made, but Procore refused to "
                    f"record it: {refused[link.procore_id]}", hint="Retry the project sync.")
        record_update(link, engine_data={k: v for k, v in link.engine_data.items() if k != "stamp"})


def _list_importable(ctx, options: dict) -> None:
    """Active options nobody linked: 'ready to import' (a link with only the Xero side)."""
    linked = set(Link.objects.filter(connection=ctx.connection, kind=KIND).exclude(xero_id="")
                 .values_list("xero_id", flat=True))
    for option_id, option in options.items():
        if option_id in linked or option.status != "ACTIVE" or ctx.dry_run:
            continue
        link, made = record_new(ctx.connection, KIND, xero_id=option_id, label=option.name, state=State.READY,
                                project_name=option.name)
        if made:
            run_log(ctx.run, Action.SKIPPED, link=link, message="Tracking option not linked: ready to import.")
