"""Xero job costs → Procore direct costs, for projects that opted in.

Spend coded to a synced project's tracking option (bills not made by us, spend money, posted manual
journals) becomes one direct cost per document and project, with one line per tracked Xero line. Each
line's cost code × cost type comes from its Item code ("01-100.L", as the cost code export writes it) or
from the project's mapping; a document with an unmapped line waits, whole, in a visible failed state
(totals in Procore never silently disagree with Xero) and is retried from its stored copy once its project's
mapping covers it (or daily, or on "Sync now"). A voided or deleted document, or one no longer coded to the
project, is removed again.

Our own bills (from subcontractor invoices) are already commitment costs in Procore: they are recognised by
their link and by the Url that names the Procore invoice — also a bill whose answer was lost, so never bound
— and a direct cost imported from one before it was recognised is removed.

origin_id = "<Xero document id>:<Procore project id>" (one document may be spread over several jobs;
origin_id is unique per company), each line "<Xero document id>:<line id or position>". The pieces: mapper
(pure), importer (one document at a time), writer (a project's direct costs in batches).
"""

from __future__ import annotations

from connector.models import Kind, Link
from connector.services.project_settings import job_cost_projects

from ...cursors import cursor_get, cursor_set
from ...runs import run_progress
from ...spend import SOURCES, SpendDocument, spend_pages
from ...stops import sent_before_a_pause
from ..invoices import target_from_url
from .importer import Importer
from .mapper import ProjectCodes, cost_origin, line_key, map_lines  # noqa: F401 - the kind's mapper, for callers

KIND = Kind.JOB_COST
State = Link.State


def run(ctx) -> None:
    settings = job_cost_projects(ctx.connection)
    projects = {link.xero_id: link for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.PROJECT, state=State.SYNCED).exclude(xero_id="").exclude(procore_id="")
        if settings.get(link.procore_id, (False, {}))[0]}
    if not projects:
        return
    importer = Importer(ctx, projects, {pid: mapping for pid, (_on, mapping) in settings.items()}, _Ours(ctx.connection))
    with sent_before_a_pause(importer.flush):  # a project's batch fills slowly: what is queued goes now
        _follow_all(ctx, importer)


def _follow_all(ctx, importer: Importer) -> None:
    for source in SOURCES:
        since = cursor_get(ctx.connection, KIND, source)
        for documents in spend_pages(ctx.xero, source, since):
            run_progress(ctx.run, len(documents))
            importer.prefetch(documents)
            # Intents are stored before any of them is sent (a full project batch goes after the page). No
            # transaction around them: following a document may read a project's cost codes or remove a
            # direct cost in Procore, and no remote call may hold the database's write lock.
            for doc in documents:
                importer.follow(doc)
            importer.flush(full_only=True)
            changed = [d.updated for d in documents if d.updated]
            if changed and not ctx.dry_run:
                cursor_set(ctx.connection, KIND, source, max(changed))
            documents, importer.links = None, {}  # this page goes before the next one is read (the peak)
    importer.retry_waiting()
    importer.remove_ours()
    importer.flush()


class _Ours:
    """Whether a Xero bill came from one of our subcontractor invoices: bound to one, or carrying the Url of
    one of this connection's (a bill whose answer was lost is not bound yet)."""

    def __init__(self, connection):
        links = Link.objects.filter(connection=connection, kind=Kind.INVOICE)
        self.bound = set(links.exclude(xero_id="").values_list("xero_id", flat=True))
        self.invoices = set(links.values_list("procore_id", flat=True))

    def named(self, document_id: str, url: str) -> bool:
        if document_id in self.bound:
            return True
        target = target_from_url(url)
        return target is not None and str(target["requisition_id"]) in self.invoices

    def __call__(self, doc: SpendDocument) -> bool:
        return doc.source == "bills" and self.named(doc.id, doc.url)
