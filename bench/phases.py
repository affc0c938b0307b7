"""What a phase does, in the driver process (Django set up on the run's environment).

A pass runs every kind registered in sync.services.KINDS, in dependency order, one `sync_kind_task`
at a time on the real worker, and charges each kind the calls the sandboxes counted meanwhile.
The initial phase is passes plus what an accountant does on day one (accept the queue, link the
suggested companies, export the rest, link projects to the existing Job options by hand).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from tqdm import tqdm

from .remote import Sandbox, diff

TASK_TIMEOUT_S = 3 * 3600


@dataclass
class KindStats:
    kind: str
    direction: str = "export"
    records: int = 0  # records the runs selected (SyncRun.total)
    created: int = 0
    updated: int = 0
    linked: int = 0
    failed: int = 0
    xero_calls: int = 0
    procore_calls: int = 0
    wall_s: float = 0.0  # the runs' own duration (started → finished), not broker latency
    runs: int = 0
    statuses: list = field(default_factory=list)
    xero_floor: int | None = 0  # the sum of the runs' floors (bench.floors); None for a kind it does not know
    procore_floor: int | None = 0
    endpoints: dict = field(default_factory=dict)  # "xero GET /api.xro/2.0/…" → calls (what to look at first)
    peak_growth_mb: float = 0.0  # how much the worker's peak memory grew during this kind's runs
    per_run: list = field(default_factory=list)  # each run's calls and floor, in order

    def add(self, run, xero: int, procore: int, floor: dict | None = None) -> None:
        self.per_run.append({"xero": xero, "procore": procore, "floor": floor,
                             "tasks": run.tasks if run is not None else 0})  # >1: it paused and went on
        self.runs += 1
        self.xero_calls += xero
        self.procore_calls += procore
        for side in ("xero", "procore"):
            mine = getattr(self, f"{side}_floor")
            setattr(self, f"{side}_floor", None if floor is None or mine is None else mine + floor[side])
        if run is None:
            self.statuses.append("skipped")
            return
        self.statuses.append(run.status)
        for name in ("created", "updated", "linked", "failed"):
            setattr(self, name, getattr(self, name) + getattr(run, name))
        self.records += run.total
        if run.finished_at:
            self.wall_s += (run.finished_at - run.started_at).total_seconds()


@dataclass
class Phase:
    name: str
    kinds: dict = field(default_factory=dict)  # kind → KindStats
    endpoints: Counter = field(default_factory=Counter)  # "procore GET /rest/…" → calls
    decisions_s: float = 0.0
    elapsed_s: float = 0.0  # the driver's clock, broker latency included
    start_counts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"kinds": {k: asdict(v) for k, v in self.kinds.items()}, "endpoints": dict(self.endpoints),
                "decisions_s": round(self.decisions_s, 3), "elapsed_s": round(self.elapsed_s, 3),
                "start_counts": self.start_counts}


def kinds_now() -> list[str]:
    from sync.services import available_kinds

    return available_kinds()


def run_pass(phase: Phase, connection_id: int, procore: Sandbox, xero: Sandbox, label: str = "",
             peak_rss=None) -> None:
    """Every kind once, in dependency order; `peak_rss()` (the worker's peak memory) tells which kind raised it."""
    from connector.models import Connection, SyncCursor, SyncRun
    from sync.services import KINDS
    from sync.tasks import sync_kind_task

    connection = Connection.objects.get(pk=connection_id)
    for kind in tqdm(kinds_now(), desc=f"{phase.name}{label}", unit="kind", leave=False):
        before = {"procore": procore.calls(), "xero": xero.calls()}
        peak_before = peak_rss() if peak_rss is not None else 0.0
        counts = {**procore.counts(), **xero.counts(), **connection_counts(connection)}
        incremental = SyncCursor.objects.filter(connection=connection, kind=kind).exists()  # it read before
        answer = sync_kind_task.delay(connection_id, kind, "schedule").get(timeout=TASK_TIMEOUT_S)
        if answer.get("status") == SyncRun.Status.PAUSED:
            run_end(answer["run"])
        spent = {side: diff(s.calls(), before[side]) for side, s in (("procore", procore), ("xero", xero))}
        run = SyncRun.objects.filter(pk=answer["run"]).first() if answer.get("run") else None
        stats = phase.kinds.setdefault(kind, KindStats(kind, direction=KINDS[kind][1]))
        for side, calls in spent.items():
            phase.endpoints.update({f"{side} {k}": v for k, v in calls.items()})
            for k, v in calls.items():
                stats.endpoints[f"{side} {k}"] = stats.endpoints.get(f"{side} {k}", 0) + v
        xero_calls, procore_calls = sum(spent["xero"].values()), sum(spent["procore"].values())
        stats.add(run, xero_calls, procore_calls, run_floor(kind, run, counts, incremental, xero_calls + procore_calls))
        if peak_rss is not None:
            stats.peak_growth_mb = round(stats.peak_growth_mb + peak_rss() - peak_before, 1)


def run_end(run_id: int, timeout: float = TASK_TIMEOUT_S):
    """A paused run goes on in later tasks, each queued for when the budget allows: wait for its end."""
    from connector.models import SyncRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = SyncRun.objects.get(pk=run_id)
        if run.status not in (SyncRun.Status.RUNNING, SyncRun.Status.PAUSED):
            return run
        time.sleep(0.5)
    raise TimeoutError(f"run {run_id} did not end within {timeout:.0f} s")


def connection_counts(connection) -> dict:
    """What the floors need to know of the connection at a run's start (bench.floors)."""
    from sync.windows import synced_projects

    return {"synced_projects": len(synced_projects(connection))}


def written(run) -> dict:
    """What one run wrote, as bench.floors counts it."""
    from connector.models import SyncRecord, SyncRun

    Action = SyncRecord.Action
    count = run.created + run.updated
    side = "procore" if run.direction == SyncRun.Direction.IMPORT else "xero"
    records = SyncRecord.objects.filter(run=run, action__in=(Action.CREATED, Action.UPDATED))
    projects = {action: {r.link.project_id for r in SyncRecord.objects.filter(
        run=run, action__in=actions).select_related("link") if r.link} - {None, ""}
        for action, actions in (("written", (Action.CREATED, Action.UPDATED)),
                                ("judged", (Action.CREATED, Action.UPDATED, Action.FAILED)))}
    attached = SyncRecord.objects.filter(run=run, action=Action.SKIPPED,
                                         message__endswith="attached to the bill in Xero.").count()
    return {side: count, "updated": run.updated, "projects": len(projects["written"]),
            "judged_projects": len(projects["judged"]), "attachments": attached,
            "documents": records.exclude(xero_id="").values("xero_id").distinct().count()}


def run_floor(kind: str, run, counts: dict, incremental: bool, calls: int) -> dict | None:
    from .floors import floor

    if run is None:
        return {"xero": 0, "procore": 0}
    w = written(run)
    f = floor(kind, counts, w, incremental=incremental)
    if f and not (calls or w.get("xero") or w.get("procore")):
        return {"xero": 0, "procore": 0}  # switched off for this connection (no project with job costs, …)
    return f


def quiet_queueing():
    """The actions below queue a sync of their kind on commit; the benchmark runs every kind itself right
    after, so it keeps each kind's calls attributable by not queueing twice."""
    from connector.signals import sync_wanted

    sync_wanted.disconnect(dispatch_uid="sync_wanted")


def decide(connection) -> int:
    """Day one in the admin: returns how many records the accountant touched."""
    from connector.models import Kind, Link
    from connector.services import projects as project_actions
    from connector.services.approvals import approval_accept
    from connector.services.vendors import export_vendor, link_suggested_all, unlinked_companies

    State = Link.State
    links = Link.objects.filter(connection=connection)
    touched = len(link_suggested_all(connection).done)
    procore_only, _ = unlinked_companies(connection)
    touched += len(export_vendor([l for l in procore_only if l.state in (State.READY, State.FAILED)]).done)
    options = links.filter(kind=Kind.PROJECT, procore_id="", state=State.READY).exclude(xero_id="")
    if options.exists():
        free = project_actions.linkable_projects(connection)
        for option, project in zip(options, free):
            project_actions.option_link_to_project(option, project["id"])
            touched += 1
    touched += send_older_projects(connection)
    waiting = list(links.filter(state=State.AWAITING_APPROVAL))
    touched += len(approval_accept(links=waiting))
    return touched + switch_on_costs_and_payments(connection) + map_waiting_job_costs(connection)


ACTIVE_OPTIONS = 95  # Xero keeps about 100 active options per tracking category; leave a little room


def send_older_projects(connection) -> int:
    """Active projects older than the connection go to the queue ("Send to ERP"), as many as fit in Xero."""
    from connector.models import Kind, Link
    from connector.services import projects as project_actions

    live = Link.objects.filter(connection=connection, kind=Kind.PROJECT).exclude(
        state__in=(Link.State.ARCHIVED, Link.State.REJECTED)).count()
    sent = 0
    for project in project_actions.linkable_projects(connection)[:max(0, ACTIVE_OPTIONS - live)]:
        try:
            project_actions.project_send_to_queue(connection, project["id"])
            sent += 1
        except project_actions.ProjectActionError:
            continue  # already on its way
    return sent


def map_waiting_job_costs(connection) -> int:
    """Spend lines without a usable Item code: the accountant maps each (project, account) to a cost code."""
    from connector.clients import procore_client_for
    from connector.models import Kind, Link
    from connector.services.project_settings import job_cost_projects, job_costs_map
    from sync.objects.cost_codes import item_code

    wanted: dict[str, set] = {}
    for link in Link.objects.filter(connection=connection, kind=Kind.JOB_COST, state=Link.State.FAILED):
        if link.engine_data.get("unmapped"):
            wanted.setdefault(link.project_id, set()).update(link.engine_data["unmapped"])
    if not wanted:
        return 0
    procore = procore_client_for(connection)
    types = procore.line_item_types()
    touched, mapped = 0, job_cost_projects(connection)
    for project_id, keys in wanted.items():
        project = Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id=project_id).first()
        codes = procore.cost_codes(int(project_id)) if project else []
        keys -= set(mapped.get(project_id, (False, {}))[1])
        if not codes or not types or not keys:
            continue
        for n, key in enumerate(sorted(keys)):
            job_costs_map(project, key, item_code(codes[n % len(codes)], types[n % len(types)]))
            touched += 1
    return touched


def switch_on_costs_and_payments(connection) -> int:
    """Job costs on for every synced project; payment sync on (it reads payments made from now on)."""
    from connector.models import ConnectionSettings, Kind, Link
    from connector.services.project_settings import job_cost_projects, job_costs_enable
    from connector.services.settings import connection_settings_apply

    touched, enabled = 0, job_cost_projects(connection)
    for link in Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=Link.State.SYNCED) \
            .exclude(xero_id="").exclude(procore_id=""):
        if not enabled.get(link.procore_id, (False, {}))[0]:
            job_costs_enable(link, True)
            touched += 1
    settings = ConnectionSettings.objects.get_or_create(connection=connection)[0]
    if settings.payments_enabled_at is None:
        settings.payments_cadence = ConnectionSettings.Cadence.DAILY
        connection_settings_apply(settings_obj=settings, tracking_choice="", tracking_name="", create_marker="+")
        touched += 1
    return touched


def initial(connection, procore: Sandbox, xero: Sandbox, rounds: int = 5, peak_rss=None) -> Phase:
    """Passes and decisions until nobody has anything left to decide (records wait on their parents)."""
    phase = Phase("initial", start_counts={**procore.counts(), **xero.counts()})
    started = time.monotonic()
    run_pass(phase, connection.pk, procore, xero, " pass 1", peak_rss)
    for n in range(2, rounds + 2):
        t = time.monotonic()
        touched = decide(connection)
        phase.decisions_s += time.monotonic() - t
        if not touched:
            break
        run_pass(phase, connection.pk, procore, xero, f" pass {n}", peak_rss)
    phase.elapsed_s = time.monotonic() - started
    return phase


def incremental(name: str, connection, procore: Sandbox, xero: Sandbox, peak_rss=None) -> Phase:
    phase = Phase(name, start_counts={**procore.counts(), **xero.counts()})
    started = time.monotonic()
    run_pass(phase, connection.pk, procore, xero, peak_rss=peak_rss)
    phase.elapsed_s = time.monotonic() - started
    return phase


def change_one_percent(connection, seed: int = 1, procore: Sandbox | None = None, xero: Sandbox | None = None) -> dict:
    """1% of the records on each side change, as people would edit them: reference data and commitments edited,
    pending change orders and invoices approved in Procore; contacts edited and bills approved and paid in Xero."""
    from connector.clients import procore_client_for, xero_client_for

    r = random.Random(seed)
    pc, xc = procore_client_for(connection), xero_client_for(connection)
    changed = Counter()
    vendors = pc.vendors()
    for vendor in r.sample(vendors, max(1, len(vendors) // 100)) if vendors else []:
        pc.update_vendor(vendor["id"], {"email_address": f"ap+{vendor['id']}@example.com"})
        changed["procore vendors"] += 1
    code_list = next((l for l in pc.standard_cost_code_lists() if l.get("is_erp_list")), None)
    if code_list:
        codes = pc.standard_cost_codes(code_list["id"])
        picked = r.sample(codes, max(1, len(codes) // 100)) if codes else []
        if picked:
            pc.sync_standard_cost_codes(code_list["id"], [{"id": c["id"], "name": f"{c['name']} (rev)"[:100]}
                                                          for c in picked])
            changed["procore standard cost codes"] += len(picked)
    from connector.models import Kind, Link

    exported = list(Link.objects.filter(connection=connection, kind=Kind.COMMITMENT, state=Link.State.SYNCED)
                    .exclude(xero_id="").order_by("pk"))
    for link in r.sample(exported, max(1, len(exported) // 100)) if exported else []:
        if link.source_list and link.project_id:
            pc.update_commitment(link.source_list, int(link.project_id), int(link.procore_id),
                                 {"contract_date": "2026-06-01"})
            changed["procore commitments"] += 1
    if procore is not None:
        changed.update(_approve_pending(procore, connection, r))
    if xero is not None:
        changed.update(_pay_bills(xc, xero, connection, r))
    contacts = [c for page in xc.iter_pages("contacts") for c in page.records]
    picked = r.sample(contacts, min(50, max(1, len(contacts) // 100))) if contacts else []
    if picked:
        xc.write_batch("contacts", [{"ContactID": str(c.contact_id), "EmailAddress": f"ar+{i}@example.com"}
                                    for i, c in enumerate(picked)], idempotency_key=None)
        changed["xero contacts"] += len(picked)
    return dict(changed)


def _approve_pending(procore: Sandbox, connection, r: random.Random) -> Counter:
    """Approvers approve 1% of the change orders and invoices still pending on commitments that are in Xero."""
    from connector.models import Kind, Link

    in_xero = set(Link.objects.filter(connection=connection, kind=Kind.COMMITMENT, state=Link.State.SYNCED)
                  .exclude(xero_id="").values_list("procore_id", flat=True))
    changed = Counter()
    for action, table, parent, done in (("approve_change_order", "change_order_packages", "contract_id", {"approved"}),
                                        ("approve_invoice", "requisitions", "commitment_id",
                                         {"approved", "approved_as_noted", "pending_owner_approval"})):
        rows = [row for row in procore.data(table) if str(row.get(parent)) in in_xero and row.get("status") not in done
                and not row.get("deleted_at")]
        for row in r.sample(rows, max(1, len(rows) // 100)) if rows else []:
            if procore.act(action, id=row["id"]):  # Procore may refuse (e.g. not the latest invoice): left as is
                changed[f"procore {table} approved"] += 1
    return changed


def _pay_bills(xc, xero: Sandbox, connection, r: random.Random) -> Counter:
    """A bookkeeper approves 1% of our bills in Xero and pays each in full (payment sync brings them to Procore)."""
    from connector.models import Kind, Link

    ours = set(Link.objects.filter(connection=connection, kind=Kind.INVOICE, state=Link.State.SYNCED)
               .exclude(xero_id="").values_list("xero_id", flat=True))
    bills = [b for b in xero.data("Invoices") if b["InvoiceID"] in ours and b.get("_tenant", connection.xero_tenant_id)
             == connection.xero_tenant_id and b["Status"] in ("DRAFT", "SUBMITTED", "AUTHORISED")]
    picked = r.sample(bills, max(1, len(bills) // 100)) if bills else []
    changed = Counter()
    for start in range(0, len(picked), 50):
        chunk = picked[start:start + 50]
        results = xc.write_batch("invoices", [{"InvoiceID": b["InvoiceID"], "Status": "AUTHORISED"} for b in chunk],
                                 idempotency_key=None)
        for bill, result in zip(chunk, results):
            if result.ok:
                xc.create_payment(bill["InvoiceID"], "090", bill.get("AmountDue") or bill["Total"], reference="Bench 1%",
                                  idempotency_key=f"bench-pay-{bill['InvoiceID']}")
                changed["xero bills approved and paid"] += 1
    return changed
