"""What people do with tracking options nobody linked, and with projects older than the connection."""

from __future__ import annotations

from django.db import transaction

from connector.models import Kind, Link

from .links import link_bind, link_set_state

State = Link.State


class ProjectActionError(Exception):
    pass


def _client(connection):
    from connector.clients import procore_client_for

    return procore_client_for(connection)


def _importable(link: Link) -> None:
    if link.kind != Kind.PROJECT or link.procore_id or not link.xero_id or link.state != State.READY:
        raise ProjectActionError(f"“{link.label}” is not a tracking option waiting to be imported.")


def option_import_as_project(link: Link) -> Link:
    """Create the Procore project for a Xero option (origin_id = the option id, so a retry finds it)."""
    _importable(link)
    procore = _client(link.connection)
    result = procore.sync_projects([{"origin_id": link.xero_id, "name": link.label, "active": True}])
    if result.errors:
        raise ProjectActionError(f"Procore refused the project “{link.label}”: {result.errors[0].get('errors')}")
    project = result.entities[0]
    return link_bind(link, procore_id=str(project["id"]), reference=link.label)


def option_link_to_project(link: Link, project_id: int) -> Link:
    """Bind a Xero option to an existing Procore project (marks the project with origin_id)."""
    _importable(link)
    taken = Link.objects.filter(connection=link.connection, kind=Kind.PROJECT, procore_id=str(project_id)).first()
    if taken and taken.xero_id:
        raise ProjectActionError(f"That Procore project is already linked to the option “{taken.label}”.")
    procore = _client(link.connection)
    result = procore.sync_projects([{"id": int(project_id), "origin_id": link.xero_id}])
    if result.errors:
        raise ProjectActionError(f"Procore refused to link the project: {result.errors[0].get('errors')}")
    with transaction.atomic():
        if taken:  # a pre-existing project with a Procore-only link (e.g. rejected): merge into one link
            taken.delete()
        return link_bind(link, procore_id=str(project_id))


def option_archive(link: Link) -> Link:
    """Keep the option out of the import list (it stays in Xero as it is)."""
    _importable(link)
    return link_set_state(link, State.ARCHIVED)


def linkable_projects(connection) -> list[dict]:
    """Active Procore projects not linked to an option yet (the choices for 'link by hand')."""
    linked = set(Link.objects.filter(connection=connection, kind=Kind.PROJECT).exclude(xero_id="")
                 .values_list("procore_id", flat=True))
    projects = _client(connection).projects({"filters[by_status]": "Active"})
    return [p for p in projects if str(p["id"]) not in linked]


def project_send_to_queue(connection, project_id: int) -> Link:
    """A project older than the connection, put in the approval queue on purpose ("Send to ERP")."""
    from .links import link_for_procore
    from .objects.projects import option_name, project_snapshot

    project = _client(connection).project(int(project_id))
    link = Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id=str(project_id)).first()
    if link and link.state not in (State.REJECTED,):
        raise ProjectActionError(f"“{link.label}” is already {link.get_state_display().lower()}.")
    link = link or link_for_procore(connection, Kind.PROJECT, project_id, label=option_name(project),
                                    initial_state=State.AWAITING_APPROVAL)
    link.data = {**link.data, **project_snapshot(project)}
    return link_set_state(link, State.AWAITING_APPROVAL, data=link.data, label=option_name(project))
