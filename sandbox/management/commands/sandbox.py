"""`python manage.py sandbox`: serve the Procore and Xero emulators until Ctrl-C."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from sandbox import runner
from sandbox.core.server import quiet_werkzeug
from sandbox.datasets import SIZES


class Command(BaseCommand):
    help = "Serve the Procore emulator and the Xero emulator (in-memory state, seeded data)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.SANDBOX_HOST)
        parser.add_argument("--procore-port", type=int, default=settings.PROCORE_SANDBOX_PORT)
        parser.add_argument("--xero-port", type=int, default=settings.XERO_SANDBOX_PORT)
        parser.add_argument("--size", default="small", choices=sorted(SIZES))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--tenants", type=int, default=1,
                            help="equal companies in Procore and organisations in Xero, each with the dataset")
        parser.add_argument("--persist", action="store_true", help="load/save state under var/sandbox-*.json")
        parser.add_argument("--connect", action="store_true",
                            help="then connect them (manage.py connect_sandbox --if-none), for `make run`")

    def handle(self, *args, host, procore_port, xero_port, size, seed, tenants, persist, connect, **options):
        quiet_werkzeug()
        var = settings.VAR_DIR if hasattr(settings, "VAR_DIR") else None
        servers = []
        for name, builder, port in (("Procore", runner.build_procore, procore_port),
                                    ("Xero", runner.build_xero, xero_port)):
            path = (var / f"sandbox-{name.lower()}.json") if (persist and var) else None
            server = runner.start(builder, host=host, port=port, size=size, seed=seed, persist_path=path,
                                  tenants=tenants)
            if path and server.state.load():
                self.stdout.write(f"{name}: loaded state from {path}")
            servers.append((name, server))
            self.stdout.write(f"{name} sandbox on {server.url} (console: {server.url}/_sandbox/)")
        self.stdout.write(f"Dataset {size!r}, seed {seed}, {tenants} tenant(s). Ctrl-C stops.")
        if connect:
            from django.core.management import call_command

            try:
                call_command("connect_sandbox", if_none=True, stdout=self.stdout)
            except Exception as exc:  # the sandboxes stay up; connect from the admin instead
                self.stderr.write(f"Could not connect the sandboxes automatically: {exc}")

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for _, server in servers:
                server.state.save()
                server.stop()
