"""The "Retire closed projects" action: one click for the connections a person may configure."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_retire_closed_projects_is_an_action_on_the_connections_list(client, monkeypatch):
    from connector.services import projects

    connection = ConnectionFactory()
    retired = []
    monkeypatch.setattr(projects, "projects_retire", lambda c, user=None: retired.append(c.pk) or [])
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pass-word-123")
    client.force_login(admin)
    response = client.post(reverse("admin:connector_connection_changelist"),
                           {"action": "retire_closed_projects", "_selected_action": [connection.pk]}, follow=True)
    assert response.status_code == 200 and retired == [connection.pk]
    assert "0 closed project(s) retired; none is inactive in Procore." in response.content.decode()
