"""What people do with tracking options nobody linked, and with projects older than the connection."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction

from ..models import AuditEntry, Decision, Kind, Link
from .approvals import decision_record
from .audit import audit_links
from .records import fingerprint, record_bind, record_new, record_transition
from .run_requests import run_request

State, Verdict = Link.State, Decision.Verdict


class ProjectActionError(Exception):
    pass


def project_content(project: dict) -> str:
    """What accepting a project means: a project of this name and number becomes a tracking option (the engine
    and the "send to the queue" button judge it alike)."""
    return fingerprint({"name": (project.get("name") or "").strip(),
                        "number": (project.get("project_number") or "").strip()})


def _client(connection):
    from ..clients import WEB_WAIT_S, procore_client_for

    return procore_client_for(connection, max_wait_s=WEB_WAIT_S)


@contextmanager
def _said_plainly():
    """A Procore call made for a person: a limit or an outage is told in words, never as a server error."""
    from procore_client.errors import ProcoreError

    from ..pacing import BudgetExhausted

    try:
        yield
    except BudgetExhausted as exc:
        raise ProjectActionError(f"{exc.platform.capitalize()}'s call limit for this company is used up by its syncs "
                                 f"for about {max(1, round(exc.retry_after))} s. Nothing was changed; try again "
                                 "then.") from exc
    except ProcoreError as exc:
        raise ProjectActionError(f"Procore did not take it ({exc}); nothing was changed here. Try again in a "
                                 "moment.") from exc


def _importable(link: Link) -> None:
    if link.kind != Kind.PROJECT or link.procore_id or not link.xero_id or link.state != State.READY:
        raise ProjectActionError(f"“{link.label}” is not a tracking option waiting to be imported.")


def option_import_as_project(link: Link, user=None) -> Link:
    """Create the Procore project for a Xero option (origin_id = the option id, so a retry finds it)."""
    _importable(link)
    with _said_plainly():
        result = _client(link.connection).sync_projects([{"origin_id": link.xero_id, "name": link.label,
                                                          "active": True}])
    if result.errors:
        raise ProjectActionError(f"Procore refused the project “{link.label}”: {result.errors[0].get('errors')}")
    project = result.entities[0]
    record_bind(link, procore_id=str(project["id"]), reference=link.label, leaving=[State.READY])
    decision_record(link, Verdict.IMPORT_ASKED, user, state_before=State.READY)
    audit_links(user=user, action=AuditEntry.Action.IMPORT, verb="Created a Procore project from", links=[link])
    return link


def option_link_to_project(link: Link, project_id: int, user=None) -> Link:
    """Bind a Xero option to an existing Procore project (marks the project with origin_id)."""
    _importable(link)
    taken = Link.objects.filter(connection=link.connection, kind=Kind.PROJECT, procore_id=str(project_id)).first()
    if taken and taken.xero_id:
        raise ProjectActionError(f"That Procore project is already linked to the option “{taken.label}”.")
    with _said_plainly():
        result = _client(link.connection).sync_projects([{"id": int(project_id), "origin_id": link.xero_id}])
    if result.errors:
        raise ProjectActionError(f"Procore refused to link the project: {result.errors[0].get('errors')}")
    with transaction.atomic():
        if taken:  # a pre-existing project with a Procore-only link (e.g. rejected): merge into one link
            taken.delete()
        record_bind(link, procore_id=str(project_id), leaving=[State.READY])
        decision_record(link, Verdict.LINKED, user, state_before=State.READY, reason="linked by hand")
        audit_links(user=user, action=AuditEntry.Action.LINK, verb="Linked to Procore project", links=[link],
                    detail=f" #{project_id}")
    return link


def option_archive(link: Link, user=None) -> Link:
    """Keep the option out of the import list (it stays in Xero as it is)."""
    _importable(link)
    if record_transition(link, State.ARCHIVED, leaving=[State.READY], person=True):
        decision_record(link, Verdict.ARCHIVED, user, state_before=State.READY)
        audit_links(user=user, action=AuditEntry.Action.ARCHIVE, verb="Archived", links=[link])
    return link


def linkable_projects(connection) -> list[dict]:
    """Active Procore projects not linked to an option yet (the choices for 'link by hand')."""
    linked = set(Link.objects.filter(connection=connection, kind=Kind.PROJECT).exclude(xero_id="")
                 .values_list("procore_id", flat=True))
    with _said_plainly():
        projects = _client(connection).projects({"filters[by_status]": "Active"})
    return [p for p in projects if str(p["id"]) not in linked]


def project_send_to_queue(connection, project_id: int, user=None) -> Link:
    """A project older than the connection, put in the approval queue on purpose ("Send to ERP"); the project
    sync reads it at once and keeps its details up to date."""
    with _said_plainly():
        project = _client(connection).project(int(project_id))
    label = " ".join(p for p in ((project.get("project_number") or "").strip(), (project.get("name") or "").strip())
                     if p)
    with transaction.atomic():
        link = Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id=str(project_id)).first()
        if link and link.state != State.REJECTED:
            raise ProjectActionError(f"“{link.label}” is already {link.get_state_display().lower()}.")
        before = link.state if link else ""
        if link is None:
            link, _ = record_new(connection, Kind.PROJECT, procore_id=project_id, label=label,
                                 state=State.AWAITING_APPROVAL, project_name=label,
                                 content_fingerprint=project_content(project))
        else:
            record_transition(link, State.AWAITING_APPROVAL, leaving=[State.REJECTED], person=True,
                              rejected_reason="", refused_fingerprint="", content_fingerprint=project_content(project))
        decision_record(link, Verdict.EXPORT_ASKED, user, state_before=before)
        audit_links(user=user, action=AuditEntry.Action.EXPORT, verb="Sent to the approval queue", links=[link])
        run_request(connection_id=connection.pk, kind=Kind.PROJECT, trigger="manual", record_id=str(project_id))
    return link


# Xero keeps at most this many active options per tracking category (Xero's tracking categories page; the
# figure comes from third-party help): archived options free a slot.
MAX_ACTIVE_OPTIONS = 100


def projects_retire(connection, user=None) -> list[Link]:
    """Archive, in one action, the tracking options of projects that are inactive in Procore now (or were when
    last read): their slots go to new projects. Returns the links retired."""
    from ..clients import WEB_WAIT_S, xero_client_for
    from .audit import audit_record

    synced = {link.procore_id: link for link in Link.objects.filter(
        connection=connection, kind=Kind.PROJECT, state=State.SYNCED).exclude(xero_id="").exclude(procore_id="")}
    if not synced:
        return []
    with _said_plainly():
        inactive = {str(p["id"]) for p in _client(connection).projects({"filters[by_status]": "All"})
                    if not p.get("active", True)}
    closed = [link for procore_id, link in synced.items()
              if procore_id in inactive or (link.procore_snapshot or {}).get("active") is False]
    from ..models import ConnectionSettings

    category = ConnectionSettings.objects.filter(connection=connection).values_list(
        "tracking_category_id", flat=True).first()
    if not closed or not category:
        return []
    xero = xero_client_for(connection, max_wait_s=WEB_WAIT_S)
    retired = []
    for link in closed:
        xero.archive_tracking_option(category, link.xero_id)
        if record_transition(link, State.ARCHIVED, leaving=[State.SYNCED]):
            retired.append(link)
    if retired:
        audit_record(user=user, action="archive", connection=connection, links=retired,
                     summary=f"Retired {len(retired)} closed project(s): their Xero tracking options archived.")
    return retired
