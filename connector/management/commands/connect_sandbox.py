"""`python manage.py connect_sandbox`: an active connection to the running sandboxes, no browser.

It drives the same OAuth endpoints a person does (consent page → code → token), then picks the
company and the organisation, through the same services the admin screens use.
"""

from urllib.parse import parse_qs, urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connector import oauth
from connector.clients import procore_client_for, xero_client_for
from connector.errors import ConnectorError
from connector.models import Connection
from connector.selectors import xero_as_dict
from connector.services import connections as svc
from sandbox.consent import consent
from sandbox.datasets import PROCORE_COMPANIES, XERO_ORGANISATIONS


def _code(redirect: str) -> str:
    query = parse_qs(urlparse(redirect).query)
    if "code" not in query:
        raise CommandError(f"no authorisation code in {redirect}")
    return query["code"][0]


class Command(BaseCommand):
    help = "Connect the running Procore and Xero sandboxes (for demos, tests and the benchmark)."

    def add_arguments(self, parser):
        parser.add_argument("--company-id", type=int, default=PROCORE_COMPANIES[0]["id"])
        parser.add_argument("--tenant-id", default=XERO_ORGANISATIONS[0]["tenantId"])
        parser.add_argument("--if-none", action="store_true", help="do nothing when a live connection exists")

    def handle(self, *args, company_id, tenant_id, if_none, **options):
        live = Connection.objects.exclude(status=Connection.Status.DISCONNECTED)
        if if_none and live.exists():
            self.stdout.write(f"Connection exists: {live.first()} — nothing to do.")
            return
        try:
            connection = connect(company_id=company_id, tenant_id=tenant_id)
        except ConnectorError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Connected #{connection.pk}: {connection} ({connection.xero_country}, "
            f"{svc.plan_name(connection.xero_plan)}) at {connection.connected_at:%Y-%m-%d %H:%M} UTC"))


def connect(*, company_id: int, tenant_id: str, user=None, base_url: str | None = None) -> Connection:
    base_url = base_url or settings.SITE_URL
    procore = oauth.procore_oauth(base_url)
    tokens = procore.exchange_code(_code(consent(procore.authorize_url("sandbox"))))
    connection = svc.connection_start(user=user, procore_tokens=tokens)
    try:
        return _finish(connection, company_id, tenant_id, base_url)
    except Exception:
        connection.delete()  # leave no half-made connection behind
        raise


def _finish(connection: Connection, company_id: int, tenant_id: str, base_url: str) -> Connection:
    companies = {c["id"]: c["name"] for c in procore_client_for(connection, company_id=company_id)
                 .get("/rest/v1.0/companies")}
    if company_id not in companies:
        raise CommandError(f"company {company_id} is not reachable; choose one of {sorted(companies)}")
    svc.connection_choose_procore_company(connection=connection, company_id=company_id,
                                          company_name=companies[company_id])
    xero = oauth.xero_oauth(base_url)
    xero_tokens = xero.exchange_code(_code(consent(xero.authorize_url("sandbox"), {"tenant_id": tenant_id})))
    from connector.models import Credential
    from connector.services.credentials import credential_store

    credential_store(connection=connection, provider=Credential.Provider.XERO, tokens=xero_tokens)
    organisation = xero_as_dict(xero_client_for(connection, tenant_id=tenant_id).organisation())
    return svc.connection_attach_xero(connection=connection, tenant_id=tenant_id, organisation=organisation)
