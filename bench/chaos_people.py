"""People acting while the chaos suite's runs go on: an accountant rejects, accepts and re-sends, a company admin
switches job costs and maps a cost code, the project team renumbers a commitment and an invoice.

The driver process does it while the worker process runs the round's syncs, so their moves really race. The
targets are picked from the dataset before anything runs (same in the clean and the faulty run), and every
action is retried each round until it took, so both runs end with the same decisions. Where the outcome of a
race is legitimately open (a rejection that meets a record already on its way to Xero), the record is left out
of the clean-versus-faulty comparison and checked by the decision counts instead:

- decisions overridden: a record whose latest decision is a rejection that is in Xero anyway, or one a person
  accepted that a run moved to rejected;
- exported without acceptance: a document of a kind that needs approval that reached Xero with no acceptance
  on file before it was written;
- PO lines lost: a commitment or change-order line the connector wrote that is no longer on its purchase order.
"""

from __future__ import annotations

import random
import time
from collections import Counter

REASON = "Chaos: rejected by the accountant"


class People:
    def __init__(self, procore, seed: int):
        self.procore = procore
        r = random.Random(seed)
        active = {p["id"] for p in procore.data("projects") if p.get("active")}  # the ones that reach Xero
        approved = sorted(c["id"] for table in ("work_order_contracts", "purchase_order_contracts")
                          for c in procore.data(table) if c.get("status") == "Approved" and c["project_id"] in active)
        invoices = procore.data("requisitions")
        # The race is run on a commitment nothing else hangs on: whether it ends in Xero changes no invoice.
        parents = {q["commitment_id"] for q in invoices} | {p["contract_id"] for p in procore.data(
            "change_order_packages")}
        alone = [c for c in approved if c not in parents]
        self.race = r.sample(alone, 1) if alone else []  # accepted, then rejected while a run may be sending it
        picked = r.sample([c for c in approved if c not in self.race], min(3, len(approved) - len(self.race)))
        self.reject_for_good = picked[:1]  # rejected before anyone accepts it; never in Xero
        self.reject_then_resend = picked[1:2]  # rejected, re-sent later, accepted: in Xero in the end
        self.renumber = picked[2:3]  # its contract number is edited while runs go on
        invoices = sorted(q["id"] for q in invoices if q.get("status") == "approved" and q["project_id"] in active)
        self.renumber_invoice = invoices[:1]
        self.done: Counter = Counter()
        self.todo = {"reject": set(self.reject_for_good + self.reject_then_resend), "race": set(self.race),
                     "resend": set(self.reject_then_resend), "renumber": set(self.renumber),
                     "renumber_invoice": set(self.renumber_invoice), "job_costs": {"off", "on", "map"}}

    # -- while the worker runs a round -------------------------------------------------------------
    def during_runs(self, connection, round_no: int, results: list) -> None:
        """Acts once the round's runs are going, then works the approval queue until they are done."""
        from connector.models import Kind, Link
        from connector.services.approvals import approval_accept, approval_reject

        links = Link.objects.filter(connection=connection)
        self._reject(links)
        for procore_id in list(self.todo["race"]):
            link = links.filter(kind=Kind.COMMITMENT, procore_id=str(procore_id)).first()
            if link is not None and link.state in (Link.State.READY, Link.State.EXPORTING, Link.State.SYNCED):
                if approval_reject(links=[link], reason=REASON):  # refused when it is already on its way
                    self.done["rejected while a run went"] += 1
                self.todo["race"].discard(procore_id)
        if round_no >= 2:
            self._renumber(connection)
            self._job_costs(connection)
        if round_no >= 3:
            self._resend(links)
        # Accept what waits, as an accountant working the queue during the day (not the records to reject).
        keep_out = {str(i) for i in self.reject_for_good + self.reject_then_resend + list(self.todo["race"])}
        while True:
            going = not all(r.ready() for r in results)
            self._reject(links)
            waiting = [l for l in links.filter(state=Link.State.AWAITING_APPROVAL)
                       if not (l.kind == Kind.COMMITMENT and l.procore_id in keep_out)]
            self.done["accepted during runs"] += len(approval_accept(links=waiting))
            if not going:
                return
            time.sleep(0.2)

    def before_decisions(self, connection) -> None:
        """The accountant rejects what is to be rejected before accepting the rest of the queue."""
        from connector.models import Link

        self._reject(Link.objects.filter(connection=connection))

    def settled(self) -> bool:
        return not any(self.todo[k] for k in ("reject", "resend", "renumber", "renumber_invoice", "job_costs"))

    def keep_out_of_comparison(self) -> dict:
        return {"commitments": [str(i) for i in self.race]}

    # -- the actions ---------------------------------------------------------------------------------
    def _reject(self, links) -> None:
        from connector.models import Kind, Link
        from connector.services.approvals import approval_reject

        for procore_id in list(self.todo["reject"]):
            link = links.filter(kind=Kind.COMMITMENT, procore_id=str(procore_id)).first()
            if link is not None and link.state in (Link.State.AWAITING_APPROVAL, Link.State.WAITING,
                                                   Link.State.FAILED):
                if approval_reject(links=[link], reason=REASON):
                    self.done["rejected"] += 1
                    self.todo["reject"].discard(procore_id)

    def _resend(self, links) -> None:
        from connector.models import Kind, Link
        from connector.services.approvals import approval_resend

        for procore_id in list(self.todo["resend"]):
            if procore_id in self.todo["reject"]:
                continue  # not rejected yet
            link = links.filter(kind=Kind.COMMITMENT, procore_id=str(procore_id), state=Link.State.REJECTED).first()
            if link is not None and approval_resend(links=[link]):
                self.done["re-sent"] += 1
                self.todo["resend"].discard(procore_id)

    def _renumber(self, connection) -> None:
        from connector.clients import procore_client_for
        from procore_client.errors import ProcoreValidationError

        pc = procore_client_for(connection)
        rows = {c["id"]: (table, c) for table in ("work_order_contracts", "purchase_order_contracts")
                for c in self.procore.data(table)}
        for contract_id in list(self.todo["renumber"]):
            table, contract = rows[contract_id]
            pc.update_commitment(table, int(contract["project_id"]), contract_id, {"number": f"{contract['number']}-R"})
            self.done["commitments renumbered"] += 1
            self.todo["renumber"].discard(contract_id)
        requisitions = {q["id"]: q for q in self.procore.data("requisitions")}
        for requisition_id in list(self.todo["renumber_invoice"]):
            q = requisitions[requisition_id]
            try:
                pc.update_requisition(int(q["project_id"]), int(q["commitment_id"]), requisition_id,
                                      {"invoice_number": f"{q['invoice_number']}-R"})
                self.done["invoices renumbered"] += 1
            except ProcoreValidationError:  # already in Xero: Procore locks an invoice once it shows that
                self.done["invoice edits Procore refused (in Xero)"] += 1
            self.todo["renumber_invoice"].discard(requisition_id)

    def _job_costs(self, connection) -> None:
        """Job costs off and on again for one synced project, and a mapping added, while runs read them."""
        from connector.models import Kind, Link
        from connector.services.project_settings import job_costs_enable, job_costs_map

        project = Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=Link.State.SYNCED) \
            .exclude(procore_id="").order_by("procore_id").first()
        if project is None:
            return
        for step in ("off", "on", "map"):
            if step not in self.todo["job_costs"]:
                continue
            if step == "map":
                job_costs_map(project, "account 999", "01-999.L")
            else:
                job_costs_enable(project, step == "on")
            self.todo["job_costs"].discard(step)
            self.done[f"job costs {step}"] += 1
            return  # one step per round: the runs in between read each


def decision_counts(connection, xero) -> dict:
    """The three numbers people trust the connector on (see the module's docstring)."""
    from connector.models import Decision, Kind, Link, SyncRecord
    from connector.services.approvals import APPROVAL_SETTINGS, needs_approval

    settings = connection.settings
    overridden = without_acceptance = 0
    latest: dict[int, Decision] = {}
    for decision in Decision.objects.filter(connection=connection).order_by("decided_at", "id"):
        if decision.link_id:
            latest[decision.link_id] = decision
    links = Link.objects.in_bulk(list(latest))
    for link_id, decision in latest.items():
        link = links.get(link_id)
        if link is None:
            continue
        if decision.verdict == Decision.Verdict.REJECTED and (link.xero_id or link.state != Link.State.REJECTED):
            overridden += not (link.state == Link.State.AWAITING_APPROVAL and link.content_fingerprint
                               != decision.content_fingerprint)  # changed in Procore since: a new question
        if decision.verdict == Decision.Verdict.ACCEPTED and link.state == Link.State.REJECTED:
            overridden += 1
    kinds = [k for k in (*APPROVAL_SETTINGS, Kind.PROJECT) if needs_approval(settings, k) and k != Kind.VENDOR]
    accepted_at: dict[int, list] = {}
    for link_id, at in Decision.objects.filter(connection=connection, verdict=Decision.Verdict.ACCEPTED) \
            .values_list("link_id", "decided_at"):
        accepted_at.setdefault(link_id, []).append(at)
    written = (SyncRecord.objects.filter(run__connection=connection, run__dry_run=False, link__kind__in=kinds,
                                         action=SyncRecord.Action.CREATED)
               | SyncRecord.objects.filter(run__connection=connection, run__dry_run=False,
                                           link__kind=Kind.CHANGE_ORDER, action=SyncRecord.Action.UPDATED))
    for record in written:
        if not any(at <= record.created_at for at in accepted_at.get(record.link_id, [])):
            without_acceptance += 1
    return {"decisions_overridden": overridden, "exported_without_acceptance": without_acceptance,
            "po_lines_lost": po_lines_lost(connection, xero)}


def po_lines_lost(connection, xero) -> int:
    from connector.models import Kind, Link, LinkLine

    on_po = {}
    for po in xero.data("PurchaseOrders"):
        if po.get("_tenant", connection.xero_tenant_id) == connection.xero_tenant_id:
            on_po[po["PurchaseOrderID"]] = {line.get("LineItemID") for line in po.get("LineItems") or []}
    lost = 0
    commitments = {link.pk: link for link in Link.objects.filter(connection=connection, kind=Kind.COMMITMENT,
                                                                 state=Link.State.SYNCED).exclude(xero_id="")}
    by_procore = {link.procore_id: link for link in commitments.values()}
    for line in LinkLine.objects.filter(link__in=list(commitments)).exclude(xero_line_id=""):
        lost += line.xero_line_id not in on_po.get(commitments[line.link_id].xero_id, set())
    for co in Link.objects.filter(connection=connection, kind=Kind.CHANGE_ORDER, state=Link.State.SYNCED):
        po = by_procore.get(co.parent_id)
        lines = {line.xero_line_id for line in co.lines.all() if line.xero_line_id}
        if po is not None:
            lost += len(lines - on_po.get(po.xero_id, set()))
    return lost
