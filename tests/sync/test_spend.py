"""Xero spend read lean (only the fields a job cost uses) gives the documents the whole records give."""

import pytest

from connector.clients import xero_client_for
from sync.spend import SOURCES, document_from, spend_pages


@pytest.mark.parametrize("source", list(SOURCES))
def test_a_lean_read_makes_the_same_documents_as_the_whole_records(connection, xero_sandbox, source):
    xero = xero_client_for(connection)
    listing, filters, *_ = SOURCES[source]
    whole = [document_from(source, r) for page in xero.iter_pages(listing, **filters) for r in page.records]
    lean = [doc for page in spend_pages(xero, source, None) for doc in page]
    assert any(doc.lines for doc in whole)  # the seeded company has spend tracked to its jobs
    assert sorted(lean, key=lambda d: d.id) == sorted(whole, key=lambda d: d.id)
    assert all(doc.updated is not None and doc.status for doc in lean)
