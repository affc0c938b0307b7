"""`python manage.py approvals list|accept|reject [--kind K] [--all | ID …] [--reason TEXT]`."""

from django.core.management.base import BaseCommand, CommandError

from connector.models import Kind, Link
from connector.services.approvals import ApprovalError, approval_accept, approval_reject


class Command(BaseCommand):
    help = "The approval queue from the shell: list, accept or reject exports waiting for an accountant."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "accept", "reject"])
        parser.add_argument("ids", nargs="*", type=int, help="link ids (see `list`)")
        parser.add_argument("--kind", choices=Kind.values)
        parser.add_argument("--connection", type=int)
        parser.add_argument("--all", action="store_true", help="every record awaiting approval (of --kind)")
        parser.add_argument("--reason", default="", help="why (required to reject)")

    def handle(self, *args, action, ids, kind, connection, all, reason, **options):
        queue = Link.objects.filter(state=Link.State.AWAITING_APPROVAL).select_related("connection")
        if kind:
            queue = queue.filter(kind=kind)
        if connection:
            queue = queue.filter(connection_id=connection)
        if action == "list":
            for link in queue.order_by("connection_id", "kind", "label"):
                self.stdout.write(f"{link.pk:>7}  #{link.connection_id}  {link.kind:<13} {link.label}")
            self.stdout.write(f"{queue.count()} awaiting approval")
            return
        if not all and not ids:
            raise CommandError("name the records (ids from `list`) or use --all")
        chosen = list(queue if all else queue.filter(pk__in=ids))
        missing = set(ids) - {link.pk for link in chosen}
        if missing:
            raise CommandError(f"not awaiting approval: {sorted(missing)}")
        try:
            done = approval_accept(links=chosen) if action == "accept" else approval_reject(links=chosen, reason=reason)
        except ApprovalError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Accepted" if action == "accept" else "Rejected"
        for link in done:
            self.stdout.write(f"{verb} {link.pk} {link.label}")
        self.stdout.write(f"{verb} {len(done)}.")
