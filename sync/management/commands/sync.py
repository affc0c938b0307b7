"""`python manage.py sync [--connection ID] [--kind KIND|all] [--dry-run]`: run syncs now, in this process."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from connector.models import Connection, Link, SyncRun
from sync.services import available_kinds, sync_kind_run


class Command(BaseCommand):
    help = "Run the syncs of one or every connection now, with a progress bar and a summary."

    def add_arguments(self, parser):
        parser.add_argument("--connection", type=int, help="connection id (default: every active connection)")
        parser.add_argument("--kind", default="all", help=f"one of {', '.join(available_kinds())} or all")
        parser.add_argument("--dry-run", action="store_true",
                            help="list what would be created, updated or linked; write nothing on either side")

    def handle(self, *args, connection, kind, dry_run, **options):
        kinds = available_kinds() if kind == "all" else [kind]
        if any(k not in available_kinds() for k in kinds):
            raise CommandError(f"unknown kind {kind!r}; choose from {', '.join(available_kinds())} or all")
        connections = Connection.objects.filter(status=Connection.Status.ACTIVE)
        if connection:
            connections = Connection.objects.filter(pk=connection)
            if not connections.exists():
                raise CommandError(f"no connection #{connection}")
        steps = [(c, k) for c in connections for k in kinds]
        runs: list[SyncRun] = []
        with tqdm(steps, desc="sync", unit="kind", file=self.stderr._out, disable=None) as bar:
            for conn, k in bar:
                bar.set_postfix_str(f"#{conn.pk} {k}")
                run = sync_kind_run(connection_id=conn.pk, kind=k, trigger=SyncRun.Trigger.MANUAL, dry_run=dry_run)
                if run:
                    runs.append(run)
        self._summary(runs, dry_run)

    def _summary(self, runs, dry_run):
        heading = "Preview (nothing written)" if dry_run else "Summary"
        self.stdout.write(f"\n{heading}:")
        self.stdout.write(f"{'connection':>10}  {'kind':<14}{'status':<24}{'created':>8}{'updated':>8}{'linked':>8}"
                          f"{'failed':>8}{'still failed':>14}")
        for run in runs:
            # "still failed": of the kind, now — a re-run that fails nothing new leaves earlier failures failed.
            still = Link.objects.filter(connection_id=run.connection_id, kind=run.kind,
                                        state=Link.State.FAILED).count()
            self.stdout.write(f"{run.connection_id:>10}  {run.kind:<14}{run.get_status_display():<24}{run.created:>8}"
                              f"{run.updated:>8}{run.linked:>8}{run.failed:>8}{still:>14}")
            if dry_run:
                for record in run.records.all():
                    self.stdout.write(f"    {record.get_action_display():<9} {record.label}  {record.message}")
            for record in run.records.filter(action="failed")[:20]:
                self.stdout.write(f"    FAILED {record.label}: {record.message} {record.hint}")
        if not runs:
            self.stdout.write("  nothing ran (no active connection, or a sync of that kind is already running)")
