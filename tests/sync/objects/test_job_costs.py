"""Xero spend coded to an opted-in project's option becomes Procore direct costs, exactly once."""

import uuid
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
import requests

from connector.clients import xero_client_for
from connector.models import Kind, Link, SyncCursor, SyncRun
from connector.services.project_settings import (
    ProjectSettingError,
    job_cost_projects,
    job_costs_enable,
    job_costs_map,
)
from procore_client.client import ProcoreClient
from sync.objects.job_costs import ProjectCodes
from sync.services import sync_kind_run
from sync.spend import SpendDocument, SpendLine
from tests.sandboxes import calls, calls_reset, data, faults

State = Link.State


def sync(connection, trigger=SyncRun.Trigger.MANUAL):
    return sync_kind_run(connection_id=connection.pk, kind=Kind.JOB_COST, trigger=trigger)


@pytest.fixture
def job(connection, procore_sandbox, xero_sandbox):
    """A synced project (Procore's first project ⇄ the seeded "Job" option 0) with job costs on, and the Xero
    item for one of its cost codes × cost types."""
    faults(procore_sandbox, rate_limits=False)  # these tests make more calls than 25 per 10 s
    tenant = connection.xero_tenant_id
    category = next(c for c in data(xero_sandbox, "TrackingCategories", _tenant=tenant) if c["Name"] == "Job")
    option = category["Options"][0]
    project = data(procore_sandbox, "projects")[0]
    link = Link.objects.create(connection=connection, kind=Kind.PROJECT, procore_id=str(project["id"]),
                               xero_id=option["TrackingOptionID"], label=option["Name"], state=State.SYNCED)
    job_costs_enable(link, True)
    cost_code = data(procore_sandbox, "cost_codes", project_id=project["id"])[0]
    cost_type = data(procore_sandbox, "line_item_types")[0]
    code = f"{cost_code['full_code']}.{cost_type['code']}"
    xero = xero_client_for(connection)
    assert xero.write_batch("items", [{"Code": code, "Name": "Concrete"}], f"item-{uuid.uuid4()}")[0].ok
    return {"link": link, "project_id": project["id"], "option": option, "category": category, "code": code,
            "cost_code_id": cost_code["id"], "cost_type_id": cost_type["id"], "xero": xero,
            "sandbox": xero_sandbox, "tenant": tenant, "sent": {}}


def as_xero_user(xero_sandbox, tenant, method, path, body):
    """What a bookkeeper does in Xero (our app may only read bank transactions): the sandbox console's token."""
    token = xero_sandbox.state.auth.console_token()
    answer = requests.request(method, f"{xero_sandbox.url}/api.xro/2.0/{path}", json=body, timeout=10,
                              headers={"Authorization": f"Bearer {token}", "xero-tenant-id": tenant,
                                       "Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def spend_money(job, *lines, reference="Card 7001", contact_id=None):
    """A Xero user records spend money; `lines` are (amount, item code or None, tracked to the job?); instead of
    True, `tracked` may name another option of the Job category (a document spread over several jobs)."""
    items = []
    for amount, code, tracked in lines:
        line = {"Description": "Crane rental", "AccountCode": "520", "Quantity": 1, "UnitAmount": float(amount)}
        if code:
            line["ItemCode"] = code
        if tracked:
            option_id = job["option"]["TrackingOptionID"] if tracked is True else tracked
            line["Tracking"] = [{"TrackingCategoryID": job["category"]["TrackingCategoryID"],
                                 "TrackingOptionID": option_id}]
        items.append(line)
    contact_id = contact_id or next(c for c in data(job["sandbox"], "Contacts", _tenant=job["tenant"],
                                                    ContactStatus="ACTIVE"))["ContactID"]
    record = {"Type": "SPEND", "Contact": {"ContactID": contact_id}, "BankAccount": {"Code": "090"},
              "LineAmountTypes": "NoTax", "Reference": reference, "Date": date(2026, 3, 2).isoformat(),
              "LineItems": items}
    answer = as_xero_user(job["sandbox"], job["tenant"], "PUT", "BankTransactions",
                          {"BankTransactions": [record]})
    spend_id = answer["BankTransactions"][0]["BankTransactionID"]
    job["sent"][spend_id] = record
    return spend_id


def costs_of(procore_sandbox, origin_id):
    return [c for c in data(procore_sandbox, "direct_costs", origin_id=origin_id) if not c.get("deleted_at")]


# -- mapper ----------------------------------------------------------------------------------------
def test_a_document_keeps_only_lines_tracked_to_the_project_and_survives_its_snapshot():
    line = SpendLine(key="l1", options=("opt-a", "region-n"), item_code="01-100.L", account_code="520",
                     description="Pour", amount=Decimal("10.05"))
    other = SpendLine(key="l2", options=("opt-b",), item_code="", account_code="510", description="",
                      amount=Decimal("3.00"))
    doc = SpendDocument("bills", "doc-1", "SUP-1", date(2026, 1, 2), "PAID", "c1", "Acme", None, [line, other])
    assert doc.is_spend and doc.lines_on("opt-a") == [line]
    assert SpendDocument.from_snapshot(doc.snapshot()).lines == [line, other]
    assert not SpendDocument("bills", "d", "", None, "VOIDED", "", "", None, []).is_spend


def test_an_item_code_finds_its_project_cost_code_and_only_an_allowed_cost_type():
    types = [{"id": 1, "code": "L"}, {"id": 2, "code": "M"}, {"id": 3, "code": "SUB.C"}]
    codes = ProjectCodes([{"id": 70, "code": "100", "full_code": "01-100"},
                          {"id": 71, "code": "200", "full_code": "01.200", "line_item_type_ids": [2]}], types)
    assert codes["01-100.L"] == (70, 1) and codes["01-100.SUB.C"] == (70, 3)
    assert codes["01.200.M"] == (71, 2), "a full code with a dot in it"
    assert "01.200.L" not in codes, "labour is not allowed on that cost code"
    assert "01-999.L" not in codes and "01-100" not in codes and None not in codes


# -- behaviour -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_spend_money_on_the_project_becomes_one_direct_cost_exact_to_the_cent(connection, job, procore_sandbox):
    spend_id = spend_money(job, ("1234.56", job["code"], True), ("99.99", job["code"], False))
    run = sync(connection)
    origin = f"{spend_id}:{job['project_id']}"
    [cost] = costs_of(procore_sandbox, origin)
    assert (cost["project_id"], cost["direct_cost_type"], cost["invoice_number"]) == \
        (job["project_id"], "expense", "Card 7001")
    lines = data(procore_sandbox, "direct_cost_line_items", direct_cost_id=cost["id"])
    assert [(l["amount"], l["cost_code_id"], l["line_item_type_id"]) for l in lines] == \
        [("1234.56", job["cost_code_id"], job["cost_type_id"])]  # the untracked line stays out
    link = Link.objects.get(connection=connection, kind=Kind.JOB_COST, xero_id=origin)
    assert (link.state, link.procore_id) == (State.SYNCED, str(cost["id"]))
    assert run.created >= 1

    again = sync(connection)
    assert (again.created, again.updated) == (0, 0)
    assert again.total <= 3, "incremental: only documents changed since the last read are read again"
    assert len(costs_of(procore_sandbox, origin)) == 1


@pytest.mark.django_db
def test_a_preview_says_what_would_be_imported_and_writes_nothing(connection, job, procore_sandbox):
    spend_id = spend_money(job, ("42.00", job["code"], True))
    preview = sync_kind_run(connection_id=connection.pk, kind=Kind.JOB_COST, dry_run=True)
    assert not costs_of(procore_sandbox, f"{spend_id}:{job['project_id']}")
    assert not Link.objects.filter(connection=connection, kind=Kind.JOB_COST).exists()
    assert preview.records.filter(xero_id=spend_id, message__startswith="Would be imported").exists()
    sync(connection)  # the preview moved no read position: the real run still finds it
    assert len(costs_of(procore_sandbox, f"{spend_id}:{job['project_id']}")) == 1


@pytest.mark.django_db
def test_a_deleted_spend_money_removes_its_direct_cost(connection, job, procore_sandbox):
    spend_id = spend_money(job, ("250.00", job["code"], True))
    sync(connection)
    origin = f"{spend_id}:{job['project_id']}"
    [cost] = costs_of(procore_sandbox, origin)

    as_xero_user(job["sandbox"], job["tenant"], "POST", f"BankTransactions/{spend_id}",
                 {"BankTransactions": [{**job["sent"][spend_id], "BankTransactionID": spend_id, "Status": "DELETED"}]})
    run = sync(connection)
    assert not costs_of(procore_sandbox, origin)
    assert next(c for c in data(procore_sandbox, "direct_costs") if c["id"] == cost["id"])["deleted_at"]
    link = Link.objects.get(connection=connection, kind=Kind.JOB_COST, xero_id=origin)
    assert link.state == State.ARCHIVED
    assert run.records.get(link=link, action="deleted").message.endswith("the direct cost was removed.")


@pytest.mark.django_db
def test_a_changed_document_is_rewritten_exactly_and_lines_taken_off_the_job_leave(connection, job,
                                                                                    procore_sandbox):
    spend_id = spend_money(job, ("300.00", job["code"], True), ("45.45", job["code"], True))
    sync(connection)
    origin = f"{spend_id}:{job['project_id']}"
    [cost] = costs_of(procore_sandbox, origin)
    assert len(data(procore_sandbox, "direct_cost_line_items", direct_cost_id=cost["id"])) == 2

    record = job["sent"][spend_id]  # the bookkeeper moves the second line to overheads (no job)
    record["LineItems"][1].pop("Tracking")
    as_xero_user(job["sandbox"], job["tenant"], "POST", f"BankTransactions/{spend_id}",
                 {"BankTransactions": [{**record, "BankTransactionID": spend_id}]})
    run = sync(connection)
    assert [c["id"] for c in costs_of(procore_sandbox, origin)] == [cost["id"]]  # the same direct cost
    assert [l["amount"] for l in data(procore_sandbox, "direct_cost_line_items", direct_cost_id=cost["id"])] == \
        ["300.00"]
    assert run.updated == 1


@pytest.mark.django_db
def test_an_unmapped_line_waits_visibly_and_imports_once_mapped(connection, job, procore_sandbox, admin_client):
    spend_id = spend_money(job, ("80.10", job["code"], True), ("19.90", None, True), reference="Card 7002")
    sync(connection)
    origin = f"{spend_id}:{job['project_id']}"
    link = Link.objects.get(connection=connection, kind=Kind.JOB_COST, xero_id=origin)
    assert link.state == State.FAILED and not costs_of(procore_sandbox, origin)
    assert "Spend money Card 7002" in link.last_error and "line 2" in link.last_error
    assert "account 520" in link.last_error and "“account 520”" in link.hint
    calls_reset(procore_sandbox)
    sync(connection, SyncRun.Trigger.SCHEDULE)  # nothing new to map it with: Procore is left alone
    assert sum(calls(procore_sandbox).values()) == 0 and Link.objects.get(pk=link.pk).state == State.FAILED

    with pytest.raises(ProjectSettingError):
        job_costs_map(job["link"], "account 520", "no-cost-type")
    # The admin selects the waiting record, types the cost code and runs the mapping action.
    admin_client.post("/admin/connector/link/", {"action": "job_costs_map_lines", "item_code": job["code"],
                                                 "_selected_action": [link.pk]})
    assert job_cost_projects(connection)[job["link"].procore_id] == (True, {"account 520": job["code"]})
    sync(connection, SyncRun.Trigger.SCHEDULE)  # the document did not change in Xero: retried from its copy
    [cost] = costs_of(procore_sandbox, origin)
    amounts = sorted(l["amount"] for l in data(procore_sandbox, "direct_cost_line_items", direct_cost_id=cost["id"]))
    assert amounts == ["19.90", "80.10"]
    assert Link.objects.get(pk=link.pk).state == State.SYNCED


@pytest.mark.django_db
def test_projects_that_did_not_opt_in_get_nothing(connection, job, procore_sandbox):
    job_costs_enable(job["link"], False)
    spend_id = spend_money(job, ("10.00", job["code"], True))
    sync(connection)
    assert not costs_of(procore_sandbox, f"{spend_id}:{job['project_id']}")
    assert not Link.objects.filter(connection=connection, kind=Kind.JOB_COST).exists()


@pytest.mark.django_db
def test_our_own_bills_are_never_imported_back(connection, job, procore_sandbox, xero_sandbox):
    bill = next(b for b in data(xero_sandbox, "Invoices", _tenant=connection.xero_tenant_id, Type="ACCPAY")
                if any(t["TrackingOptionID"] == job["option"]["TrackingOptionID"]
                       for line in b["LineItems"] for t in line["Tracking"]))
    Link.objects.create(connection=connection, kind=Kind.INVOICE, procore_id="990001", xero_id=bill["InvoiceID"],
                        state=State.SYNCED)
    sync(connection)
    assert not Link.objects.filter(connection=connection, kind=Kind.JOB_COST,
                                   xero_id__startswith=bill["InvoiceID"]).exists()
    # Seeded bills not made by us are followed (their lines carry no Item code: they wait for a mapping).
    assert Link.objects.filter(connection=connection, kind=Kind.JOB_COST, state=State.FAILED).exists()


@pytest.mark.django_db
def test_lost_answers_and_server_errors_never_make_a_second_direct_cost(connection, job, procore_sandbox,
                                                                         xero_sandbox):
    spends = [spend_money(job, (f"{100 + n}.{n:02d}", job["code"], True), reference=f"Card 80{n}") for n in range(4)]
    origins = [f"{s}:{job['project_id']}" for s in spends]
    # Batched writes make few calls: this seed's dice do hit them (drops and errors on both sides).
    for server in (procore_sandbox, xero_sandbox):
        faults(server, drop_after_commit_rate=0.4, error_rate=0.2, seed=4)
    links = Link.objects.filter(connection=connection, kind=Kind.JOB_COST, xero_id__in=origins)
    for _ in range(15):
        sync(connection)
        if links.filter(state=State.SYNCED).count() == len(origins):
            break
    stats = [requests.get(f"{s.url}/_sandbox/stats", timeout=10).json() for s in (procore_sandbox, xero_sandbox)]
    for server in (procore_sandbox, xero_sandbox):
        faults(server, drop_after_commit_rate=0, error_rate=0)
    sync(connection)

    assert links.filter(state=State.SYNCED).count() == len(origins)
    counts = Counter(c["origin_id"] for c in data(procore_sandbox, "direct_costs") if not c.get("deleted_at"))
    assert [counts[o] for o in origins] == [1, 1, 1, 1]
    for n, origin in enumerate(origins):
        [cost] = costs_of(procore_sandbox, origin)
        lines = data(procore_sandbox, "direct_cost_line_items", direct_cost_id=cost["id"])
        assert [l["amount"] for l in lines] == [f"{100 + n}.{n:02d}"]
    assert any(s["drops_injected"] for s in stats) and any(s["errors_injected"] for s in stats)

    # Removal under the same faults is exact too: the two deleted documents leave, the other two stay.
    for spend_id in spends[:2]:
        as_xero_user(job["sandbox"], job["tenant"], "POST", f"BankTransactions/{spend_id}",
                     {"BankTransactions": [{**job["sent"][spend_id], "BankTransactionID": spend_id,
                                            "Status": "DELETED"}]})
    for server in (procore_sandbox, xero_sandbox):
        faults(server, drop_after_commit_rate=0.4, error_rate=0.2, seed=12)
    for _ in range(15):
        sync(connection)
        if links.filter(state=State.ARCHIVED).count() == 2:
            break
    for server in (procore_sandbox, xero_sandbox):
        faults(server, drop_after_commit_rate=0, error_rate=0)
    sync(connection)
    assert [len(costs_of(procore_sandbox, o)) for o in origins] == [0, 0, 1, 1]
    assert sorted(links.values_list("state", flat=True)) == sorted([State.ARCHIVED] * 2 + [State.SYNCED] * 2)


@pytest.mark.django_db
def test_the_opt_in_is_an_admin_action_on_synced_projects_only(connection, admin_client):
    synced = Link.objects.create(connection=connection, kind=Kind.PROJECT, procore_id="1", xero_id="opt-1",
                                 label="Library", state=State.SYNCED)
    waiting = Link.objects.create(connection=connection, kind=Kind.PROJECT, procore_id="2", label="Depot",
                                  state=State.AWAITING_APPROVAL)
    SyncCursor.objects.create(connection=connection, kind=Kind.JOB_COST, source="bills", value="2026-01-01T00:00:00")
    answer = admin_client.post("/admin/connector/link/", {"action": "job_costs_on",
                                                         "_selected_action": [synced.pk, waiting.pk]}, follow=True)
    notes = [str(m) for m in answer.context["messages"]]
    assert any("on for 1 project(s)" in n for n in notes) and any("Depot" in n and "not synced" in n for n in notes)
    assert job_cost_projects(connection) == {"1": (True, {})}  # the waiting project got no settings
    assert not SyncCursor.objects.filter(connection=connection, kind=Kind.JOB_COST).exists()  # read again

    admin_client.post("/admin/connector/link/", {"action": "job_costs_off", "_selected_action": [synced.pk]})
    assert job_cost_projects(connection) == {"1": (False, {})}


@pytest.mark.django_db
def test_seeded_bills_spend_money_and_journals_on_the_option_import_once_mapped(connection, job, procore_sandbox,
                                                                               xero_sandbox):
    tenant, option_id = connection.xero_tenant_id, job["option"]["TrackingOptionID"]

    def tracked(lines):
        return [l for l in lines if any(t["TrackingOptionID"] == option_id for t in l.get("Tracking") or [])]

    expected, kinds = {}, set()  # Xero document id → the tracked amounts, as Xero holds them
    for resource, id_field, lines_field, live in (("Invoices", "InvoiceID", "LineItems", {"AUTHORISED", "PAID"}),
                                                  ("BankTransactions", "BankTransactionID", "LineItems", {"AUTHORISED"}),
                                                  ("ManualJournals", "ManualJournalID", "JournalLines", {"POSTED"})):
        for doc in data(xero_sandbox, resource, _tenant=tenant):
            if doc["Status"] in live and tracked(doc[lines_field]):
                expected[doc[id_field]] = sorted(Decimal(str(l["LineAmount"])) for l in tracked(doc[lines_field]))
                kinds.add(resource)
    assert {"Invoices", "ManualJournals"} <= kinds, "the seed codes bills and journals to this option"

    first = sync(connection)  # seeded lines carry accounts, not items: every document waits for a mapping
    assert first.failed >= len(expected)
    assert not [d for d in expected if costs_of(procore_sandbox, f"{d}:{job['project_id']}")]
    for account in ("500", "510", "520", "530"):
        job_costs_map(job["link"], f"account {account}", job["code"])
    sync(connection)

    for doc_id, amounts in expected.items():
        [cost] = costs_of(procore_sandbox, f"{doc_id}:{job['project_id']}")
        lines = data(procore_sandbox, "direct_cost_line_items", direct_cost_id=cost["id"])
        assert sorted(Decimal(l["amount"]) for l in lines) == amounts
    types = Counter(c["direct_cost_type"] for c in data(procore_sandbox, "direct_costs") if c["origin_id"])
    assert types["invoice"] and types["expense"]
    assert not Link.objects.filter(connection=connection, kind=Kind.JOB_COST, state=State.FAILED).exists()


@pytest.mark.django_db
def test_a_voided_bill_leaves_procore(connection, job, procore_sandbox, xero_sandbox):
    contact = next(c for c in data(xero_sandbox, "Contacts", _tenant=job["tenant"], ContactStatus="ACTIVE"))
    tracking = [{"TrackingCategoryID": job["category"]["TrackingCategoryID"],
                 "TrackingOptionID": job["option"]["TrackingOptionID"]}]
    bill = {"Type": "ACCPAY", "Contact": {"ContactID": contact["ContactID"]}, "InvoiceNumber": "RENT-88",
            "Date": "2026-03-03", "DueDate": "2026-04-02", "LineAmountTypes": "NoTax", "Status": "AUTHORISED",
            "LineItems": [{"Description": "Scaffold rent", "Quantity": 3, "UnitAmount": 333.37, "ItemCode": job["code"],
                           "AccountCode": "520", "Tracking": tracking}]}
    result = job["xero"].write_batch("invoices", [bill], f"bill-{uuid.uuid4()}")[0]
    assert result.ok, result.errors
    sync(connection)
    origin = f"{result.id}:{job['project_id']}"
    [cost] = costs_of(procore_sandbox, origin)
    assert (cost["direct_cost_type"], cost["invoice_number"]) == ("invoice", "RENT-88")
    assert [l["amount"] for l in data(procore_sandbox, "direct_cost_line_items", direct_cost_id=cost["id"])] == \
        ["1000.11"]

    voided = job["xero"].write_batch("invoices", [{**bill, "InvoiceID": result.id, "Status": "VOIDED"}],
                                     f"void-{uuid.uuid4()}")[0]
    assert voided.ok, voided.errors
    sync(connection)
    assert not costs_of(procore_sandbox, origin)
    assert Link.objects.get(connection=connection, kind=Kind.JOB_COST, xero_id=origin).state == State.ARCHIVED


# -- batches ---------------------------------------------------------------------------------------
HEADER_SYNC = "PATCH /rest/v1.0/projects/<int:project_id>/direct_costs/sync"
LINE_SYNC = "PATCH /rest/v1.0/projects/<int:project_id>/direct_costs/line_items/sync"


@pytest.fixture
def jobs(job, procore_sandbox):
    """Three synced projects with job costs on (the job's, the second seeded Job option's and one a bookkeeper
    adds now): Xero option id → Procore project id."""
    category = job["category"]
    added = as_xero_user(job["sandbox"], job["tenant"], "PUT",
                         f"TrackingCategories/{category['TrackingCategoryID']}/Options", {"Name": "Austin 003"})
    options = [job["option"], category["Options"][1], added["Options"][0]]
    projects = data(procore_sandbox, "projects")[:3]
    for option, project in zip(options[1:], projects[1:]):
        link = Link.objects.create(connection=job["link"].connection, kind=Kind.PROJECT, label=option["Name"],
                                   procore_id=str(project["id"]), xero_id=option["TrackingOptionID"],
                                   state=State.SYNCED)
        job_costs_enable(link, True)
    return {option["TrackingOptionID"]: project["id"] for option, project in zip(options, projects)}


def written(procore_sandbox, origin):
    """The one live direct cost of `origin` and its line amounts, as Procore holds them."""
    [cost] = costs_of(procore_sandbox, origin)
    return cost, sorted(Decimal(l["amount"]) for l in data(procore_sandbox, "direct_cost_line_items",
                                                            direct_cost_id=cost["id"]))


@pytest.mark.django_db
@pytest.mark.parametrize("stored_every", [None, 4], ids=["page-at-once", "a-few-at-a-time"])
def test_many_documents_are_written_with_one_header_call_and_one_line_call_per_project(connection, job, jobs,
                                                                                       procore_sandbox, monkeypatch,
                                                                                       stored_every):
    if stored_every:  # a page's decisions stored a few at a time still go in one batch per project
        monkeypatch.setattr("sync.objects.job_costs.importer.COMMIT_EVERY", stored_every)
    options = list(jobs)
    expected = {}  # origin → the amounts on that project, as the bookkeeper typed them
    for n in range(9):
        here, there = options[n % 3], options[(n + 1) % 3]
        lines = [(f"{n + 1}00.{n:02d}", job["code"], here), (f"{n}.99", job["code"], here if n % 2 else there),
                 ("5.00", job["code"], False)]
        spend_id = spend_money(job, *lines, reference=f"Card 90{n}")
        for amount, _, option in lines[:2]:
            expected.setdefault(f"{spend_id}:{jobs[option]}", []).append(Decimal(amount))
    calls_reset(procore_sandbox)
    run = sync(connection)

    made = calls(procore_sandbox)
    assert (made[HEADER_SYNC], made[LINE_SYNC]) == (3, 3), "one header and one line call per project"
    assert made["GET /rest/v1.0/cost_codes"] == 3 and made["GET /rest/v1.0/line_item_types"] == 1
    for origin, amounts in expected.items():
        cost, lines = written(procore_sandbox, origin)
        assert lines == sorted(amounts) and cost["project_id"] == int(origin.split(":")[1])
        link = Link.objects.get(connection=connection, kind=Kind.JOB_COST, xero_id=origin)
        assert (link.state, link.procore_id) == (State.SYNCED, str(cost["id"]))
        assert run.records.get(link=link, action="created").message == \
            f"{len(amounts)} line(s), {sum(amounts)} on “{link.label.split(' · ')[1]}”."
    assert run.created == len(expected) == 14

    calls_reset(procore_sandbox)
    sync(connection)  # nothing changed: nothing is written again
    assert not calls(procore_sandbox).get(HEADER_SYNC) and not calls(procore_sandbox).get(LINE_SYNC)


@pytest.mark.django_db
def test_a_direct_cost_procore_refuses_fails_alone_and_goes_through_once_fixed(connection, job, procore_sandbox,
                                                                               xero_sandbox):
    first, second = data(xero_sandbox, "Contacts", _tenant=job["tenant"], ContactStatus="ACTIVE")[:2]
    # The second supplier is linked to a vendor that has since been deleted in Procore.
    vendor = Link.objects.create(connection=connection, kind=Kind.VENDOR, xero_id=second["ContactID"],
                                 procore_id="3199999", label=second["Name"], state=State.SYNCED)
    amounts = {spend_money(job, (amount, job["code"], True), reference=f"Card 50{n}",
                           contact_id=(second if n == 1 else first)["ContactID"]): Decimal(amount)
               for n, amount in enumerate(("10.10", "20.20", "30.30"))}
    good, bad = [s for n, s in enumerate(amounts) if n != 1], list(amounts)[1]
    origin = f"{bad}:{job['project_id']}"
    calls_reset(procore_sandbox)
    run = sync(connection)

    assert calls(procore_sandbox)[HEADER_SYNC] == 1
    refused = Link.objects.get(connection=connection, kind=Kind.JOB_COST, xero_id=origin)
    assert (refused.state, refused.last_error) == (State.FAILED, "Procore refused the direct cost: vendor_id does "
                                                                 "not exist")
    assert "vendor" in run.records.get(link=refused, action="failed").hint
    assert not costs_of(procore_sandbox, origin)
    for spend_id in good:
        assert written(procore_sandbox, f"{spend_id}:{job['project_id']}")[1] == [amounts[spend_id]]
    assert run.created == 2

    procore_vendor = data(procore_sandbox, "vendors")[0]["id"]  # the admin links the supplier again
    Link.objects.filter(pk=vendor.pk).update(procore_id=str(procore_vendor))
    again = sync(connection, SyncRun.Trigger.SCHEDULE)  # unchanged in Xero: retried from its stored copy
    cost, lines = written(procore_sandbox, origin)
    assert (cost["vendor_id"], lines) == (procore_vendor, [amounts[bad]])
    assert Link.objects.get(pk=refused.pk).state == State.SYNCED and again.created == 1
    assert [len(costs_of(procore_sandbox, f"{s}:{job['project_id']}")) for s in good] == [1, 1]


@pytest.mark.django_db
def test_a_refused_line_fails_only_its_document(connection, job, procore_sandbox, monkeypatch):
    cost_code = data(procore_sandbox, "cost_codes", project_id=job["project_id"])[1]
    other = f"{cost_code['full_code']}.{job['code'].rsplit('.', 1)[1]}"
    assert job["xero"].write_batch("items", [{"Code": other, "Name": "Formwork"}], f"item-{uuid.uuid4()}")[0].ok
    plain = spend_money(job, ("11.00", job["code"], True), reference="Card 511")
    mixed = spend_money(job, ("12.00", job["code"], True), ("13.00", other, True), reference="Card 512")
    read = ProcoreClient.cost_codes

    def read_then_deleted(client, project_id, *args, **kwargs):
        """The second cost code is deleted in Procore right after the run read it."""
        return [{**code, "id": 8999999} if code["id"] == cost_code["id"] else code
                for code in read(client, project_id, *args, **kwargs)]

    monkeypatch.setattr(ProcoreClient, "cost_codes", read_then_deleted)
    sync(connection)
    monkeypatch.undo()

    link = Link.objects.get(connection=connection, kind=Kind.JOB_COST, xero_id=f"{mixed}:{job['project_id']}")
    assert (link.state, link.last_error) == (State.FAILED, "Procore refused a line of the direct cost: "
                                                           "cost_code_id does not exist")
    assert written(procore_sandbox, f"{plain}:{job['project_id']}")[1] == [Decimal("11.00")]
    assert Link.objects.get(xero_id=f"{plain}:{job['project_id']}").state == State.SYNCED

    sync(connection, SyncRun.Trigger.SCHEDULE)
    assert written(procore_sandbox, f"{mixed}:{job['project_id']}")[1] == [Decimal("12.00"), Decimal("13.00")]
    assert Link.objects.get(pk=link.pk).state == State.SYNCED


@pytest.mark.django_db
@pytest.mark.parametrize("cut", ["headers", "lines"])
def test_a_batch_whose_answer_is_lost_is_finished_next_run_without_duplicates(connection, job, procore_sandbox,
                                                                             monkeypatch, cut):
    spends = {spend_money(job, (f"{n}1.25", job["code"], True), (f"{n}2.50", job["code"], True),
                          reference=f"Card 60{n}"): [Decimal(f"{n}1.25"), Decimal(f"{n}2.50")] for n in (1, 2, 3)}
    origins = {f"{spend_id}:{job['project_id']}": amounts for spend_id, amounts in spends.items()}
    if cut == "headers":  # Procore applies every write and the connection drops before the answer
        faults(procore_sandbox, drop_after_commit_rate=1.0)
    else:  # the headers go through; the lines are applied and their answer is lost
        send = ProcoreClient.sync_direct_cost_line_items

        def lost(client, *args):
            faults(procore_sandbox, drop_after_commit_rate=1.0)
            return send(client, *args)

        monkeypatch.setattr(ProcoreClient, "sync_direct_cost_line_items", lost)
    run = sync(connection)
    monkeypatch.undo()
    faults(procore_sandbox, drop_after_commit_rate=0)

    links = Link.objects.filter(connection=connection, kind=Kind.JOB_COST, xero_id__in=origins)
    assert set(links.values_list("state", flat=True)) == {State.EXPORTING}  # kept to be finished
    failed = run.records.filter(link__in=links, action="failed")
    assert failed.count() == 3 and all(r.message.startswith("Procore could not be reached") for r in failed)
    assert [len(costs_of(procore_sandbox, o)) for o in origins] == [1, 1, 1]  # written, the answer lost
    before = {o: costs_of(procore_sandbox, o)[0]["id"] for o in origins}

    calls_reset(procore_sandbox)
    again = sync(connection, SyncRun.Trigger.SCHEDULE)
    assert (calls(procore_sandbox)[HEADER_SYNC], calls(procore_sandbox)[LINE_SYNC]) == (1, 1)
    for origin, amounts in origins.items():
        cost, lines = written(procore_sandbox, origin)
        assert (cost["id"], lines) == (before[origin], amounts)  # the same direct cost, each line once
    assert set(links.values_list("state", flat=True)) == {State.SYNCED} and again.created == 3


@pytest.mark.django_db
def test_a_waiting_document_changed_in_xero_imports_its_latest_amounts(connection, job, procore_sandbox):
    spend_id = spend_money(job, ("70.00", job["code"], True), ("5.00", None, True), reference="Card 7003")
    sync(connection)
    record = job["sent"][spend_id]  # still waiting for its second line's mapping, the first line is corrected
    record["LineItems"][0]["UnitAmount"] = 77.7
    as_xero_user(job["sandbox"], job["tenant"], "POST", f"BankTransactions/{spend_id}",
                 {"BankTransactions": [{**record, "BankTransactionID": spend_id}]})
    spend_money(job, ("1.00", job["code"], True), reference="Card 7004")  # the read position moves past it
    sync(connection, SyncRun.Trigger.SCHEDULE)
    job_costs_map(job["link"], "account 520", job["code"])
    sync(connection, SyncRun.Trigger.SCHEDULE)  # retried from its stored copy: the corrected one
    assert written(procore_sandbox, f"{spend_id}:{job['project_id']}")[1] == [Decimal("5.00"), Decimal("77.70")]


def our_bill(job, requisition_id, amount="640.00"):
    """A bill as the invoice export writes it (its Url names the Procore invoice), coded to the job."""
    url = f"https://app.procore.com/{job['project_id']}/project/commitments/8100000/invoices/{requisition_id}"
    contact = next(c for c in data(job["sandbox"], "Contacts", _tenant=job["tenant"], ContactStatus="ACTIVE"))
    [result] = job["xero"].write_batch("invoices", [{
        "Type": "ACCPAY", "Contact": {"ContactID": contact["ContactID"]}, "InvoiceNumber": f"INV-{requisition_id}",
        "Date": "2026-03-03", "DueDate": "2026-04-02", "Url": url, "LineAmountTypes": "NoTax",
        "Status": "AUTHORISED", "LineItems": [{
            "Description": "Progress billing", "Quantity": 1, "UnitAmount": float(amount), "ItemCode": job["code"],
            "AccountCode": "500", "Tracking": [{"TrackingCategoryID": job["category"]["TrackingCategoryID"],
                                                "TrackingOptionID": job["option"]["TrackingOptionID"]}]}]}],
        f"bill-{uuid.uuid4()}")
    assert result.ok, result.errors
    return result.id


@pytest.mark.django_db
def test_our_bill_whose_answer_was_lost_is_not_imported_and_a_cost_made_from_it_is_removed(
        connection, job, procore_sandbox):
    # The invoice export stored its intent and sent the bill; Xero made it; the answer was lost.
    Link.objects.create(connection=connection, kind=Kind.INVOICE, procore_id="3600000", state=State.EXPORTING,
                        reference="…/invoices/3600000")
    lost = our_bill(job, 3600000)
    sync(connection)
    assert not costs_of(procore_sandbox, f"{lost}:{job['project_id']}"), "a subcontractor invoice, not a cost"
    assert not Link.objects.filter(connection=connection, kind=Kind.JOB_COST, xero_id__startswith=lost).exists()

    # A direct cost imported from one of our bills before it was recognised (the invoice link came later) goes.
    earlier = our_bill(job, 3600001, amount="99.00")
    sync(connection)
    assert len(costs_of(procore_sandbox, f"{earlier}:{job['project_id']}")) == 1
    Link.objects.create(connection=connection, kind=Kind.INVOICE, procore_id="3600001", xero_id=earlier,
                        state=State.SYNCED)
    run = sync(connection, SyncRun.Trigger.SCHEDULE)  # the bill itself did not change: it is not read again
    assert not costs_of(procore_sandbox, f"{earlier}:{job['project_id']}")
    link = Link.objects.get(connection=connection, kind=Kind.JOB_COST, xero_id=f"{earlier}:{job['project_id']}")
    assert link.state == State.ARCHIVED
    assert "came from a Procore subcontractor invoice" in run.records.get(link=link).message


def test_the_time_limit_while_waiting_documents_are_retried_sends_what_was_queued(connection, job,
                                                                                      procore_sandbox, monkeypatch):
    """Waiting documents mapped at last are retried from their copies; a project's batch goes when full (1,000)
    or at the end, so a task cut off before the end must send what it queued: otherwise every next task queues
    the same documents again and the run never gets further (the benchmark company's day one did)."""
    from celery.exceptions import SoftTimeLimitExceeded

    from sync.objects.job_costs.importer import Importer

    spends = [spend_money(job, (f"1{n}.00", None, True), reference=f"Card 81{n}") for n in range(3)]
    sync(connection)
    origins = [f"{s}:{job['project_id']}" for s in spends]
    assert Link.objects.filter(xero_id__in=origins, state=State.FAILED).count() == 3
    job_costs_map(job["link"], "account 520", job["code"])

    real, imported = Importer._import, []

    def import_until_the_time_limit(self, link, doc, *args, **kwargs):
        imported.extend([doc.id] if doc.id in spends else [])
        if len(imported) == 3 and imported[2] == doc.id:  # the first two were queued (their project's batch is far from full)
            raise SoftTimeLimitExceeded()
        return real(self, link, doc, *args, **kwargs)

    monkeypatch.setattr(Importer, "_import", import_until_the_time_limit)
    run = sync(connection, SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.PAUSED
    first, cut = [f"{i}:{job['project_id']}" for i in imported[:2]], f"{imported[2]}:{job['project_id']}"
    assert [len(costs_of(procore_sandbox, o)) for o in first] == [1, 1] and not costs_of(procore_sandbox, cut)
    assert Link.objects.filter(xero_id__in=first, state=State.SYNCED).count() == 2
    monkeypatch.setattr(Importer, "_import", real)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.JOB_COST, trigger=SyncRun.Trigger.SCHEDULE,
                        run_id=run.pk)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert [len(costs_of(procore_sandbox, o)) for o in origins] == [1, 1, 1]
    assert Link.objects.filter(xero_id__in=origins, state=State.SYNCED).count() == 3
