"""The job cost report and the reconciliation of the two ledgers, read from the link tables only (what the
syncs last read and wrote), so the page never waits on Procore or Xero.

Per project: committed (commitments + approved change orders), invoiced and paid as Procore has them; billed,
paid and other job costs as Xero has them; the differences. Per cost code × cost type (the Xero item code
"01-100.L"): what is committed (commitment and change order lines) and billed (the bills' lines in Xero)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from .models import Kind, Link, LinkLine

State = Link.State
ZERO = Decimal("0.00")
LIVE = [State.READY, State.AWAITING_APPROVAL, State.WAITING, State.EXPORTING, State.SYNCED, State.FAILED]
COLUMNS = [("committed", "Committed (Procore)"), ("invoiced", "Invoiced (Procore)"), ("paid_procore", "Paid (Procore)"),
           ("billed", "Billed (Xero)"), ("paid_xero", "Paid (Xero)"), ("other_costs", "Other job costs (Xero)"),
           ("variance", "Invoiced not billed"), ("left_to_invoice", "Committed not invoiced")]


@dataclass
class Figures:
    committed: Decimal = ZERO
    invoiced: Decimal = ZERO
    paid_procore: Decimal = ZERO
    billed: Decimal = ZERO
    paid_xero: Decimal = ZERO
    other_costs: Decimal = ZERO

    @property
    def variance(self) -> Decimal:
        return self.invoiced - self.billed

    @property
    def left_to_invoice(self) -> Decimal:
        return self.committed - self.invoiced

    def values(self) -> list[Decimal]:
        return [getattr(self, name) for name, _ in COLUMNS]


@dataclass
class ProjectCosts:
    project_id: str
    name: str
    totals: Figures = field(default_factory=Figures)
    # item code → {"committed": …, "billed": …} (commitment and change order lines; the bills' lines in Xero)
    cost_codes: dict[str, dict[str, Decimal]] = field(default_factory=dict)


def _sum_by_project(links, amount_field: str = "amount") -> dict[str, Decimal]:
    return {row["project_id"]: row["total"] or ZERO
            for row in links.values("project_id").annotate(total=Sum(amount_field))}


def job_cost_report(connection, project_id: str | None = None) -> list[ProjectCosts]:
    links = Link.objects.filter(connection=connection)
    if project_id:
        links = links.filter(project_id=project_id)
    live = links.filter(state__in=LIVE)
    names = dict(Link.objects.filter(connection=connection, kind=Kind.PROJECT).exclude(procore_id="")
                 .values_list("procore_id", "label"))
    figures = {
        "committed": [_sum_by_project(live.filter(kind=Kind.COMMITMENT)),
                      _sum_by_project(live.filter(kind=Kind.CHANGE_ORDER))],
        "invoiced": [_sum_by_project(live.filter(kind=Kind.INVOICE))],
        "paid_procore": [_sum_by_project(links.filter(kind=Kind.PAYMENT, state=State.SYNCED))],
        "billed": [_sum_by_project(links.filter(kind=Kind.INVOICE, state=State.SYNCED).exclude(xero_id=""),
                                   "remote_total")],
        "paid_xero": [_sum_by_project(links.filter(kind=Kind.PAYMENT).exclude(state=State.ARCHIVED))],
        "other_costs": [_sum_by_project(links.filter(kind=Kind.JOB_COST).exclude(state=State.ARCHIVED))],
    }
    projects: dict[str, ProjectCosts] = {}
    for name, parts in figures.items():
        for part in parts:
            for pid, amount in part.items():
                if not pid:
                    continue
                costs = projects.setdefault(pid, ProjectCosts(pid, names.get(pid) or f"Procore project {pid}"))
                setattr(costs.totals, name, getattr(costs.totals, name) + amount)
    per_code = {"committed": live.filter(kind__in=[Kind.COMMITMENT, Kind.CHANGE_ORDER]),
                "billed": links.filter(kind=Kind.INVOICE, state=State.SYNCED).exclude(xero_id="")}
    for column, documents in per_code.items():
        rows = (LinkLine.objects.filter(link__in=documents).values("link__project_id", "item_code")
                .annotate(total=Sum("amount")))
        for row in rows:
            costs = projects.get(row["link__project_id"])
            if costs is not None and row["total"] is not None:
                code = costs.cost_codes.setdefault(row["item_code"] or "No cost code",
                                                   {"committed": ZERO, "billed": ZERO})
                code[column] += row["total"]
    return sorted(projects.values(), key=lambda p: p.name.casefold())


def report_csv(report: list[ProjectCosts], currency: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Project", "Cost code and type"] + [label for _, label in COLUMNS] + ["Currency"])
    for project in report:
        writer.writerow([project.name, "All"] + [f"{v:.2f}" for v in project.totals.values()] + [currency])
        for code, amounts in sorted(project.cost_codes.items()):
            by_column = {"committed": f"{amounts['committed']:.2f}", "billed": f"{amounts['billed']:.2f}"}
            writer.writerow([project.name, code] + [by_column.get(name, "") for name, _ in COLUMNS] + [currency])
    return out.getvalue()


@dataclass
class Difference:
    link: Link
    problem: str
    fix: str
    action: str  # "resend", "accept", "sync" (the kind again) or "open" (the record's page)


def reconciliation(connection) -> list[Difference]:
    """Records the two ledgers disagree on, each with what fixes it."""
    found: list[Difference] = []
    documents = Link.objects.filter(connection=connection, kind__in=[Kind.COMMITMENT, Kind.CHANGE_ORDER,
                                                                     Kind.INVOICE, Kind.PAYMENT])
    for link in documents.filter(state=State.FAILED).exclude(procore_id="").filter(xero_id=""):
        found.append(Difference(link, "In Procore, not in Xero: its export failed.",
                                link.hint or "Fix what the record's page says, then re-send it.", "resend"))
    for link in documents.filter(state=State.AWAITING_APPROVAL, xero_id=""):
        found.append(Difference(link, "In Procore, not in Xero: waiting for an accountant's approval.",
                                "Accept or reject it in the approval queue.", "accept"))
    for link in documents.filter(state=State.READY, procore_id="").exclude(xero_id=""):
        found.append(Difference(link, "In Xero, not in Procore.", "Import it, or archive it if it is not a job cost.",
                                "open"))
    for link in documents.filter(kind=Kind.INVOICE, state=State.SYNCED).exclude(remote_total=None):
        if link.amount is not None and link.amount != link.remote_total:
            found.append(Difference(link, f"Amounts differ: {link.amount:,.2f} in Procore, {link.remote_total:,.2f} "
                                          "in Xero.", "Correct the bill in Xero, or sync invoices again if Procore's amount is the right one.",
                                    "sync"))
    for link in documents.filter(state=State.SYNCED, remote_status__in=["DELETED", "VOIDED"]):
        found.append(Difference(link, f"Linked, but {link.remote_status.lower()} in Xero (a stale link).",
                                "Re-send it to write it to Xero again, or reject it if it should not be there.",
                                "resend"))
    return found


def exported_documents(connection_id, *, kinds=("commitment", "change_order", "invoice")) -> int:
    """Documents the connector has written to Xero (what a change of the Xero defaults can affect)."""
    found = Link.objects.filter(connection_id=connection_id, kind__in=kinds).exclude(xero_id="")
    return found.exclude(state=State.ARCHIVED).count()
