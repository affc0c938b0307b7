"""Older projects on the medium company (150 of them): searched and paged."""

import pytest

from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

PROJECTS = [{"id": 100 + n, "name": f"Job {n:03d}", "project_number": f"24-{n:03d}", "display_name": f"24-{n:03d} Job {n:03d}",
             "created_at": "2024-01-02"} for n in range(150)]


@pytest.fixture
def page(client, monkeypatch):
    monkeypatch.setattr("connector.views.projects.linkable_projects", lambda connection: PROJECTS)
    connection = ConnectionFactory()
    client.force_login(UserFactory(role="Accountant"))
    return lambda query="": client.get(f"/admin/connector/connection/{connection.pk}/older-projects/{query}").content.decode()


def test_fifty_a_page(page):
    first = page()
    assert "24-000 Job 000" in first and "24-050 Job 050" not in first
    assert "Showing 1–50 of 150 · page 1 of 3" in first
    assert "24-050 Job 050" in page("?page=2")


def test_search_by_number_or_name(page):
    found = page("?q=24-123")
    assert "24-123 Job 123" in found and "24-122" not in found and "Show all 150" in found
    assert "No project matches “nothing like it”." in page("?q=nothing+like+it")
