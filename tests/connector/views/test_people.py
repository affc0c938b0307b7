"""A company admin adds people to their own connection by e-mail with a role, changes a role, removes someone."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from connector.models import AuditEntry, Membership
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def company():
    connection = ConnectionFactory()
    return connection, UserFactory(username="ada", role="Company admin", role__on=[connection])


def people_url(connection):
    return f"/admin/connector/connection/{connection.pk}/people/"


def test_someone_new_is_added_with_a_role_and_chooses_a_password_from_the_email(
        client, company, django_capture_on_commit_callbacks):
    connection, ada = company
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(people_url(connection), {"action": "add", "email": "Acc@Builder.test",
                                                         "role": Role.ACCOUNTANT})
    assert response.status_code == 302
    person = get_user_model().objects.get(email="acc@builder.test")
    assert person.is_staff and not person.has_usable_password()
    assert connection.memberships.get(user=person).role == Role.ACCOUNTANT
    assert AuditEntry.objects.get(action="member_added").summary == (
        f"acc@builder.test is now accountant of {connection}.")
    assert "People" in client.get(f"/admin/connector/connection/{connection.pk}/change/").content.decode()
    assert "acc@builder.test" in client.get(people_url(connection)).content.decode()

    [message] = mail.outbox
    assert message.to == ["acc@builder.test"] and "accountant" in message.body
    link = re.search(r"https?://[^/\s]+(/people/password/\S+)", message.body).group(1)
    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "a-Long-pass-9", "new_password2":
                                                    "a-Long-pass-9"})
    assert done.status_code == 302
    assert client.login(username="acc@builder.test", password="a-Long-pass-9")
    assert client.get("/admin/connector/link/").status_code == 200


def test_an_existing_person_is_added_and_their_role_changed_without_a_new_account(client, company):
    connection, ada = company
    other = ConnectionFactory()
    bob = UserFactory(username="bob", email="bob@builder.test", role="Company admin", role__on=[other])
    client.force_login(ada)
    client.post(people_url(connection), {"action": "add", "email": "bob@builder.test", "role": Role.VIEWER})
    client.post(people_url(connection), {"action": "add", "email": "bob@builder.test", "role": Role.ACCOUNTANT})
    assert get_user_model().objects.filter(email="bob@builder.test").count() == 1
    assert {(m.connection, m.role) for m in bob.memberships.all()} == {(other, Role.COMPANY_ADMIN),
                                                                       (connection, Role.ACCOUNTANT)}
    assert not mail.outbox


def test_a_person_is_removed_but_the_last_company_admin_stays(client, company):
    connection, ada = company
    vic = UserFactory(username="vic", role="Viewer", role__on=[connection])
    client.force_login(ada)
    client.post(people_url(connection), {"action": "remove", "membership": vic.memberships.get().pk})
    assert not vic.memberships.exists()
    assert AuditEntry.objects.filter(action="member_removed").count() == 1

    response = client.post(people_url(connection), {"action": "remove", "membership": ada.memberships.get().pk},
                           follow=True)
    assert "at least one company admin" in response.content.decode()
    assert ada.memberships.filter(connection=connection, role=Role.COMPANY_ADMIN).exists()


@pytest.mark.parametrize("role", ["Accountant", "Viewer"])
def test_only_a_company_admin_adds_or_removes_people(client, company, role):
    connection, ada = company
    person = UserFactory(role=role, role__on=[connection])
    client.force_login(person)
    page = client.get(people_url(connection)).content.decode()
    assert "ada" in page and "Add a person" not in page
    assert client.post(people_url(connection), {"action": "add", "email": "x@y.test",
                                                "role": Role.COMPANY_ADMIN}).status_code == 403
    assert client.post(people_url(connection), {"action": "remove",
                                                "membership": ada.memberships.get().pk}).status_code == 403
    assert connection.memberships.count() == 2 and not get_user_model().objects.filter(email="x@y.test").exists()


def test_a_company_admin_cannot_add_people_to_another_company(client, company):
    connection, ada = company
    other = ConnectionFactory()
    client.force_login(ada)
    assert client.post(people_url(other), {"action": "add", "email": "x@y.test",
                                           "role": Role.COMPANY_ADMIN}).status_code == 404
    assert not other.memberships.exists()


def test_an_account_named_like_the_email_but_with_another_address_is_not_taken_over(client, company):
    connection, ada = company
    UserFactory(username="eve@builder.test", email="someone-else@builder.test")
    client.force_login(ada)
    response = client.post(people_url(connection), {"action": "add", "email": "eve@builder.test",
                                                    "role": Role.VIEWER}, follow=True)
    assert "exists with another e-mail address" in response.content.decode()
    assert connection.memberships.count() == 1
