"""ProcoreClient against the emulator (and a deliberately flaky stub for 5xx): real HTTP throughout."""

import pytest
import requests
from flask import Flask, jsonify

from procore_client import (
    HeaderPacer,
    ProcoreAuthError,
    ProcoreClient,
    ProcoreConnectionError,
    ProcoreError,
    ProcoreNotFound,
    ProcoreOutcomeUnknown,
    ProcoreRateLimited,
    ProcoreServerError,
    ProcoreValidationError,
    filters,
)
from sandbox.core.server import ServerThread
from tests.procore_client.support import COMPANY_ID, control, data, make_client


def stats(server):
    return requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()


def test_pages_follow_links_and_report_totals(procore):
    pages = list(procore.iter_pages("/rest/v1.0/vendors", {"company_id": COMPANY_ID}, per_page=8))
    assert [(p.number, len(p.items), p.total, p.has_next) for p in pages] == [
        (1, 8, 30, True),
        (2, 8, 30, True),
        (3, 8, 30, True),
        (4, 6, 30, False),
    ]
    assert len({v["id"] for p in pages for v in p.items}) == 30


def test_lists_ask_for_the_largest_page(procore, sandbox):
    control(sandbox, "stats/reset")
    assert len(procore.vendors()) == 30
    assert stats(sandbox)["calls"] == {"GET /rest/v1.0/vendors": 1}


def test_filters_reach_the_api(procore):
    contract = next(
        c for c in procore.commitments("work_order_contracts", 2800000) if c["status"] == "Approved"
    )
    got = procore.commitments(
        "work_order_contracts", 2800000, filters(ids=[contract["id"]], status="Approved")
    )
    assert [c["id"] for c in got] == [contract["id"]]
    assert procore.vendors(filters(updated_between=("2030-01-01", "2030-12-31"))) == []


def test_sync_is_chunked_at_1000_with_per_item_results(procore, sandbox):
    control(sandbox, "stats/reset")
    updates = [{"origin_id": f"xero-{n}", "name": f"Synced Vendor {n}"} for n in range(1001)]
    updates.append({"id": 1, "name": "Ghost"})
    result = procore.sync_vendors(updates)
    assert stats(sandbox)["calls"]["PATCH /rest/v1.0/vendors/sync"] == 2
    assert len(result.entities) == 1001 and not result.ok
    assert result.errors == [{"id": 1, "name": "Ghost", "errors": {"id": ["Entity with this ID not found"]}}]


def test_validation_and_not_found_are_raised_once_never_retried(procore, sandbox):
    control(sandbox, "stats/reset")
    with pytest.raises(ProcoreValidationError) as err:
        procore.create_project({"name": ""})
    assert err.value.fields == {"name": ["can't be blank"]} and "name can't be blank" in str(err.value)
    with pytest.raises(ProcoreNotFound):
        procore.vendor(1)
    assert stats(sandbox)["calls"] == {"POST /rest/v1.0/projects": 1, "GET /rest/v1.0/vendors/<int:id>": 1}


def test_rejected_token_is_renewed_once(procore, sandbox):
    control(sandbox, "oauth/expire")
    assert procore.me()["id"]
    assert procore.keeper.renewals == 1


def test_second_401_raises_auth_error(sandbox):
    client = ProcoreClient(sandbox.url, COMPANY_ID, lambda: "dead-token", lambda rejected: "still-dead")
    with pytest.raises(ProcoreAuthError) as err:
        client.me()
    assert err.value.status == 401 and err.value.message == "The access token is invalid"


def test_429_waits_until_reset_then_succeeds(procore, sandbox):
    control(sandbox, "faults", {"rate_limits": True, "clock_speed": 20})
    control(sandbox, "settings", {"spike_limit": 1})
    procore.pacer = _Blind()
    assert procore.me() and procore.me()
    assert stats(sandbox)["throttled"] == 1


def test_429_beyond_max_wait_raises_with_retry_after(sandbox):
    client = make_client(sandbox, max_wait_s=0.5, pacer=_Blind())
    control(sandbox, "faults", {"rate_limits": True})
    control(sandbox, "settings", {"hourly_limit": 1})
    client.me()
    with pytest.raises(ProcoreRateLimited) as err:
        client.me()
    assert err.value.retry_after > 60


def test_default_pacer_slows_down_before_the_wall(sandbox):
    control(sandbox, "faults", {"rate_limits": True, "clock_speed": 20})
    control(sandbox, "settings", {"spike_limit": 4})
    delays = []
    pacer = HeaderPacer()
    original = pacer._sleep
    pacer._sleep = lambda s: (delays.append(s), original(s))
    client = make_client(sandbox, pacer=pacer)
    for _ in range(10):
        client.me()
    assert stats(sandbox)["throttled"] == 0 and any(d > 0 for d in delays)


def test_lost_answer_on_a_create_is_reported_as_outcome_unknown(procore, sandbox):
    control(sandbox, "faults", {"drop_after_commit_rate": 1.0})
    with pytest.raises(ProcoreOutcomeUnknown):
        procore.create_vendor({"name": "Maybe Created LLC"})
    control(sandbox, "faults", {"drop_after_commit_rate": 0.0})
    assert any(v["name"] == "Maybe Created LLC" for v in data(sandbox, "vendors")), "the write was applied"


class _Blind:
    def before_request(self):
        pass

    def after_response(self, headers):
        pass


@pytest.fixture
def flaky():
    """A stub that answers 503 (Retry-After: 0) the first time each path is called."""
    app, calls = Flask("flaky"), []

    @app.route("/rest/v1.0/<path:rest>", methods=["GET", "POST"])
    def any_call(rest):
        calls.append(rest)
        if calls.count(rest) == 1:
            return jsonify({"errors": "busy"}), 503, {"Retry-After": "0"}
        return jsonify({"ok": True})

    server = ServerThread(app).start()
    yield server, calls
    server.stop()


def test_503_is_retried_for_reads_but_not_for_creates(flaky):
    server, calls = flaky
    client = ProcoreClient(server.url, COMPANY_ID, lambda: "t")
    assert client.get("/rest/v1.0/me") == {"ok": True}
    with pytest.raises(ProcoreServerError) as err:
        client.post("/rest/v1.0/vendors", {"company_id": COMPANY_ID, "vendor": {"name": "A"}})
    assert err.value.retry_after == 0
    assert calls == ["me", "me", "vendors"]


def test_injected_server_errors_are_retried_for_reads_only(sandbox):
    client = make_client(sandbox, max_attempts=2)
    control(sandbox, "faults", {"error_rate": 1.0, "seed": 7})
    with pytest.raises(ProcoreServerError):
        client.me()
    assert stats(sandbox)["errors_injected"] == 2
    with pytest.raises(ProcoreServerError):
        client.create_vendor({"name": "Never Sent Twice"})
    assert stats(sandbox)["errors_injected"] == 3


def test_lost_answer_on_a_sync_is_resent_only_when_every_item_has_an_origin_id(procore, sandbox):
    control(sandbox, "faults", {"drop_after_commit_rate": 1.0})
    control(sandbox, "stats/reset")
    with pytest.raises(ProcoreOutcomeUnknown):
        procore.sync_vendors([{"name": "No Origin Id Co."}])
    assert stats(sandbox)["calls"]["PATCH /rest/v1.0/vendors/sync"] == 1, "a blind create is never re-sent"
    with pytest.raises(ProcoreConnectionError) as err:
        procore.sync_vendors([{"origin_id": "xero-77", "name": "Has Origin Id Co."}])
    assert not isinstance(err.value, ProcoreOutcomeUnknown)
    assert stats(sandbox)["calls"]["PATCH /rest/v1.0/vendors/sync"] == 1 + procore.max_attempts
    control(sandbox, "faults", {"drop_after_commit_rate": 0.0})
    assert sum(1 for v in data(sandbox, "vendors") if v["origin_id"] == "xero-77") == 1, "re-sending was safe"


def test_pages_can_resume_from_a_cursor(procore):
    pages = list(
        procore.iter_pages("/rest/v1.0/vendors", {"company_id": COMPANY_ID}, per_page=8, start_page=3)
    )
    assert [p.number for p in pages] == [3, 4] and sum(len(p.items) for p in pages) == 14


# -- per_page is a wish: the client reads to the end however Procore pages ----------------------------
def test_a_list_that_ignores_per_page_is_still_read_whole(procore, sandbox):
    control(sandbox, "settings", {"page_size": 7})  # the endpoint serves 7 whatever per_page says
    control(sandbox, "stats/reset")
    assert len({v["id"] for v in procore.vendors()}) == 30
    assert stats(sandbox)["calls"] == {"GET /rest/v1.0/vendors": 5}  # ceil(30 / 7), not one page of 1000


def test_without_link_headers_total_says_when_the_list_ends(procore, sandbox):
    control(sandbox, "settings", {"page_size": 7, "link_headers": False})
    pages = list(procore.iter_pages("/rest/v1.0/vendors", {"company_id": COMPANY_ID}))
    assert [len(p.items) for p in pages] == [7, 7, 7, 7, 2] and not pages[-1].has_next
    assert len({v["id"] for p in pages for v in p.items}) == 30
    resumed = list(procore.iter_pages("/rest/v1.0/vendors", {"company_id": COMPANY_ID}, start_page=4))
    assert [len(p.items) for p in resumed] == [7, 2]


def test_an_answer_without_link_or_total_is_one_unpaginated_list(procore, sandbox):
    control(sandbox, "settings", {"link_headers": False, "total_headers": False})
    control(sandbox, "stats/reset")
    assert len(procore.vendors()) == 30
    assert stats(sandbox)["calls"] == {"GET /rest/v1.0/vendors": 1}


# -- 413: Procore refuses a sync body by size; the batch is halved down to one item -----------------------
def test_a_sync_refused_as_too_large_is_halved_until_it_fits(procore, sandbox):
    control(sandbox, "settings", {"sync_max_bytes": 3000})
    updates = [{"origin_id": f"xero-{n}", "name": f"Halved Vendor {n}", "notes": "n" * 400} for n in range(12)]
    updates[5]["notes"] = "too long " * 400  # one record larger than any request Procore takes
    control(sandbox, "stats/reset")
    result = procore.sync_vendors(updates)
    assert [e["origin_id"] for e in result.entities] == [u["origin_id"] for u in updates if u is not updates[5]]
    assert [e["origin_id"] for e in result.errors] == ["xero-5"]
    assert "too large" in result.errors[0]["errors"]["base"][0]
    assert "notes" in result.errors[0]["errors"]["base"][0]
    created = [v for v in data(sandbox, "vendors") if (v["origin_id"] or "").startswith("xero-")]
    assert len(created) == 11
    calls = stats(sandbox)["calls"]["PATCH /rest/v1.0/vendors/sync"]
    assert 3 < calls < 24  # halves, not one call per record and not all at once


# -- what the connector will need: package lines, stamps, invoice attachments -----------------------------
def test_a_change_order_package_is_read_with_its_lines(procore, sandbox):
    package = next(p for p in data(sandbox, "change_order_packages") if p["line_items"])
    listed = procore.change_order_packages(package["project_id"], package["contract_id"])
    assert listed and all("line_items" not in p for p in listed)  # the list carries no lines
    shown = procore.change_order_package(package["project_id"], package["id"])
    assert len(shown["line_items"]) == len(package["line_items"])
    line = shown["line_items"][0]
    assert line["cost_code"]["standard_cost_code_id"] and line["line_item_type"]["id"]
    assert "commitment_line_item_id" not in line  # Procore names the cost code and type, not the line


def test_records_exported_to_xero_are_stamped_with_their_origin(procore, sandbox):
    contract = next(c for c in data(sandbox, "work_order_contracts") if c["status"] == "Approved")
    result = procore.stamp_commitments("work_order_contracts", contract["project_id"], [
        {"id": contract["id"], "origin_id": "xero-po-1", "origin_code": "PO-0001", "origin_data": None}])
    assert result.ok and result.entities[0]["origin_code"] == "PO-0001"
    package = next(p for p in data(sandbox, "change_order_packages") if p["status"] == "approved")
    stamped = procore.stamp_change_order_package(package["project_id"], package["id"], "xero-po-1:co1",
                                                 origin_code="PO-0001")
    assert (stamped["origin_id"], stamped["origin_code"]) == ("xero-po-1:co1", "PO-0001")
    invoice = next(q for q in data(sandbox, "requisitions") if q["status"] == "approved")
    bill = procore.stamp_requisition(invoice["project_id"], invoice["commitment_id"], invoice["id"],
                                     "xero-bill-1", origin_data="Xero bill INV-1")
    assert (bill["origin_id"], bill["origin_data"]) == ("xero-bill-1", "Xero bill INV-1")
    with pytest.raises(ProcoreValidationError) as refused:
        procore.stamp_requisition(invoice["project_id"], invoice["commitment_id"], invoice["id"], "xero-bill-2")
    assert "synced with ERP" in refused.value.message


def test_an_invoice_attachment_is_downloaded_without_the_token(procore, sandbox):
    invoice = next(q for q in data(sandbox, "requisitions") if q["status"] == "approved")
    [attachment] = procore.requisition_attachments(invoice["project_id"], invoice["id"])
    seen = []
    procore.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request.headers))
    file = procore.download_attachment(attachment)
    assert file.filename.endswith(".pdf") and file.content_type == "application/pdf"
    assert file.content.startswith(b"%PDF-")
    assert "Authorization" not in seen[-1]
    with pytest.raises(ProcoreValidationError, match="larger than"):
        procore.download_attachment(attachment, max_bytes=100)
    with pytest.raises(ProcoreError, match="refused"):
        procore.download_attachment({**attachment, "url": attachment["url"].split("?")[0]})


def test_a_proxy_set_in_the_environment_is_used_and_no_proxy_honoured(monkeypatch):
    from procore_client import client as module

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    module._host_proxies.cache_clear()
    try:  # the sandboxes' API host goes through the proxy; their storage host, named in NO_PROXY, does not
        assert module._proxies("http://127.0.0.1:8611/rest/v1.0/projects")["http"] == "http://127.0.0.1:3128"
        assert "http" not in module._proxies("http://localhost:8611/storage/1/a.pdf?sig=x")
    finally:
        module._host_proxies.cache_clear()
