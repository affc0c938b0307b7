"""factory-boy factories shared by the suite."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from connector.models import Connection, ConnectionSettings, Credential, Kind, Link, Membership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """`role="Accountant"`: that role on `role__on=[…]`, or (for short tests) on every connection that
        exists now. Roles are per connection (Membership); there are no global ones."""
        if create:
            self.save()
        if extracted:
            value = ROLES.get(extracted, extracted)
            for connection in (kwargs.get("on") if "on" in kwargs else Connection.objects.all()):
                Membership.objects.update_or_create(connection=connection, user=self, defaults={"role": value})


ROLES = {label: value for value, label in Membership.Role.choices}


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection
        skip_postgeneration_save = True

    procore_company_id = factory.Sequence(lambda n: 5000000 + n)
    procore_company_name = factory.Sequence(lambda n: f"Builder {n}")
    xero_tenant_id = factory.Faker("uuid4")
    xero_organisation_name = factory.LazyAttribute(lambda c: f"{c.procore_company_name} LLC")
    xero_country = "US"
    xero_plan = "STANDARD"
    status = Connection.Status.ACTIVE
    connected_at = factory.LazyFunction(timezone.now)
    webhook_secret = factory.Faker("sha256")
    settings = factory.RelatedFactory("tests.factories.ConnectionSettingsFactory", factory_related_name="connection")


class ConnectionSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConnectionSettings

    connection = factory.SubFactory(ConnectionFactory, settings=None)


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    connection = factory.SubFactory(ConnectionFactory)
    provider = Credential.Provider.PROCORE
    access_token = factory.Faker("sha256")
    refresh_token = factory.Faker("sha256")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Link

    connection = factory.SubFactory(ConnectionFactory)
    kind = Kind.COMMITMENT
    procore_id = factory.Sequence(str)
    label = factory.Faker("catch_phrase")
