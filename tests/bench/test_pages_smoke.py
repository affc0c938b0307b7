"""bench/pages.py on a handful of records: every page it measures answers, and its weight is reported."""

import pytest
from django.contrib.auth import get_user_model

from bench.pages import measure_pages, seed_matching, seed_queue, seed_run
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_every_measured_page_answers_and_is_weighed():
    connection = ConnectionFactory(xero_country="US")
    seed_matching(connection, procore=30, xero=20, suggested=10)
    run = seed_run(connection, records=120)
    seed_queue(connection, invoices=30)
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass-word")
    pages = measure_pages(user, connection, run)
    assert set(pages) >= {"run page", "company matching", "approval queue (invoices)"}
    assert all(m["bytes"] > 1000 and m["seconds"] >= 0 for m in pages.values())
