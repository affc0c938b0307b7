"""Xero spend coded to an opted-in project's option becomes Procore direct costs, exactly once."""

import uuid
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
import requests

from connector.clients import xero_client_for
from connector.models import Kind, Link, SyncCursor, SyncRun
from sync.job_cost_settings import JobCostSettingError, job_costs_enable, job_costs_map
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


def spend_money(job, *lines, reference="Card 7001"):
    """A Xero user records spend money; `lines` are (amount, item code or None, tracked to the job?)."""
    items = []
    for amount, code, tracked in lines:
        line = {"Description": "Crane rental", "AccountCode": "520", "Quantity": 1, "UnitAmount": float(amount)}
        if code:
            line["ItemCode"] = code
        if tracked:
            line["Tracking"] = [{"TrackingCategoryID": job["category"]["TrackingCategoryID"],
                                 "TrackingOptionID": job["option"]["TrackingOptionID"]}]
        items.append(line)
    contact = next(c for c in data(job["sandbox"], "Contacts", _tenant=job["tenant"], ContactStatus="ACTIVE"))
    record = {"Type": "SPEND", "Contact": {"ContactID": contact["ContactID"]}, "BankAccount": {"Code": "090"},
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

    with pytest.raises(JobCostSettingError):
        job_costs_map(job["link"], "account 520", "no-cost-type")
    # The admin selects the waiting record, types the cost code and runs the mapping action.
    admin_client.post("/admin/connector/link/", {"action": "job_costs_map_lines", "item_code": job["code"],
                                                 "_selected_action": [link.pk]})
    assert Link.objects.get(pk=job["link"].pk).data["job_cost_map"] == {"account 520": job["code"]}
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
    for server in (procore_sandbox, xero_sandbox):
        faults(server, drop_after_commit_rate=0.4, error_rate=0.2, seed=11)
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
    assert Link.objects.get(pk=synced.pk).data["job_costs_enabled"] is True
    assert "job_costs_enabled" not in Link.objects.get(pk=waiting.pk).data
    assert not SyncCursor.objects.filter(connection=connection, kind=Kind.JOB_COST).exists()  # read again

    admin_client.post("/admin/connector/link/", {"action": "job_costs_off", "_selected_action": [synced.pk]})
    assert Link.objects.get(pk=synced.pk).data["job_costs_enabled"] is False


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
