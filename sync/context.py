"""What one run of one kind works with: the connection, its settings, its run log and both clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from connector.models import Connection, ConnectionSettings, SyncRun


@dataclass
class SyncContext:
    connection: Connection
    run: SyncRun
    dry_run: bool = False
    record_id: str | None = None  # a webhook asks for one record only
    checkpoints: list = field(default_factory=list)  # called when the run stops early, to keep its place

    @cached_property
    def settings(self) -> ConnectionSettings:
        return ConnectionSettings.objects.get_or_create(connection=self.connection)[0]

    @cached_property
    def procore(self):
        from connector.clients import procore_client_for

        return procore_client_for(self.connection)  # paced by the company's shared budget

    @cached_property
    def xero(self):
        from connector.clients import xero_client_for

        return xero_client_for(self.connection)  # paced by the organisation's shared budget

    @cached_property
    def lock_dates(self):
        """Xero's lock dates, read once per run and only when a run asks (one call)."""
        from .ledger import read_lock_dates

        return read_lock_dates(self.xero)
