"""Neither platform promises the page size asked for: a sync reads every record however the answer is paged."""

import uuid

import pytest
import requests

from connector.clients import xero_client_for
from tests.sandboxes import calls, calls_reset, faults
from tests.sync.objects.test_vendors import contacts, links, procore_vendors, sync


@pytest.fixture(autouse=True)
def own_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"paging-{uuid.uuid4()}"}}


@pytest.mark.django_db
def test_the_vendor_sync_reads_all_41_contacts_when_xero_serves_ten_a_page(connection, procore_sandbox,
                                                                            xero_sandbox):
    xero_client_for(connection).write_batch("contacts", [{"Name": f"Paged Supplier {n}"} for n in range(22)], None)
    active = [c for c in contacts(xero_sandbox, connection) if c.get("ContactStatus") != "ARCHIVED"]
    archived = len(contacts(xero_sandbox, connection)) - len(active)
    assert len(active) == 41
    faults(xero_sandbox, page_size=10)  # a proxy (or an endpoint) serving 10 per page of the 1,000 asked
    requests.post(f"{procore_sandbox.url}/_sandbox/settings", json={"page_size": 7},  # per_page ignored too
                  timeout=10).raise_for_status()
    calls_reset(xero_sandbox, procore_sandbox)
    run = sync(connection)
    assert run.failed == 0
    assert links(connection).exclude(xero_id="").count() == 41 + archived  # every contact (archived too) listed
    assert links(connection).exclude(procore_id="").count() == len(procore_vendors(procore_sandbox)) == 30
    assert calls(xero_sandbox)["GET /api.xro/2.0/Contacts"] == 5  # pageCount pages, no more
    assert calls(procore_sandbox)["GET /rest/v1.0/vendors"] == 5  # ceil(30 / 7): Link/Total followed
