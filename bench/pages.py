"""`python -m bench.pages [--out bench/results]`: page weight (bytes) and time of the pages people open most —
a run's page, Company matching and the approval queue — on the medium company's amounts of local records.

The pages read only the connector's own tables, so the medium company is written straight into them (the
counts a medium sync leaves: a 2,021-record run, 1,412 unlinked Procore companies, 971 Xero contacts of
which 478 are suggested matches, 1,500 invoices in the queue) instead of syncing it from the sandboxes first.
Runs against a throwaway SQLite file (or BENCH_DATABASE_URL). Timings are printed and written, never asserted."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

MEDIUM = {"run_records": 2021, "procore_companies": 1412, "xero_contacts": 971, "suggested": 478,
          "queue_invoices": 1500}


def seed_matching(connection, *, procore: int, xero: int, suggested: int) -> None:
    """Unlinked companies on both sides; `suggested` pairs share a name (a unique one)."""
    from connector.models import Kind, Link

    rows = []
    for n in range(procore):
        name = f"Pair {n:04d} Builders Inc" if n < suggested else f"Procore Only {n:04d} Supply"
        rows.append(Link(connection=connection, kind=Kind.VENDOR, procore_id=str(700000 + n), label=name,
                         state=Link.State.READY, procore_snapshot={"name": name, "email": f"ap{n}@vendor.example",
                                                                   "tax_number": "", "active": True}))
    for n in range(xero):
        name = f"Pair {n:04d} Builders Inc" if n < suggested else f"Xero Only {n:04d} Services"
        rows.append(Link(connection=connection, kind=Kind.VENDOR, xero_id=f"c0ffee00-0000-4000-8000-{n:012d}",
                         label=name, state=Link.State.READY,
                         xero_snapshot={"name": name, "email": f"billing{n}@contact.example", "status": "ACTIVE"}))
    Link.objects.bulk_create(rows, batch_size=500)


def seed_run(connection, *, records: int):
    from connector.models import Kind, SyncRecord, SyncRun

    run = SyncRun.objects.create(connection=connection, kind=Kind.INVOICE, direction="export", trigger="schedule",
                                 status=SyncRun.Status.PARTIAL, created=records - 21, failed=21, total=records)
    SyncRecord.objects.bulk_create([
        SyncRecord(run=run, action="failed" if n % 97 == 0 else "created", label=f"INV-{n:05d} Vendor {n % 300}",
                   procore_id=str(n), message="Xero refused the bill." if n % 97 == 0 else "",
                   hint="Check the bill's account." if n % 97 == 0 else "") for n in range(records)], batch_size=500)
    return run


def seed_queue(connection, *, invoices: int) -> None:
    from connector.models import Kind, Link

    Link.objects.bulk_create([
        Link(connection=connection, kind=Kind.INVOICE, procore_id=str(900000 + n), label=f"INV-{n:05d}",
             document_number=f"INV-{n:05d}", vendor_name=f"Vendor {n % 300}", project_name=f"26-{n % 150:03d} Job",
             document_date=date(2026, 11, 1 + n % 28), amount=Decimal(1000 + n), state=Link.State.AWAITING_APPROVAL,
             content_fingerprint=f"fp{n}", project_id=str(n % 150), parent_id=str(n)) for n in range(invoices)],
        batch_size=500)


def measure(client, url: str, repeat: int = 3) -> dict:
    client.get(url)  # warm (templates, query plans)
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(url)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, (url, answer.status_code)
        size = len(answer.content)
    return {"bytes": size, "seconds": round(min(times), 3)}


def measure_pages(user, connection, record_run) -> dict[str, dict]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    pages = {
        "run page": f"/admin/connector/syncrun/{record_run.pk}/change/",
        "run page, failed only": f"/admin/connector/syncrun/{record_run.pk}/change/?action=failed",
        "company matching": f"/admin/connector/connection/{connection.pk}/companies/",
        "company matching, searched": f"/admin/connector/connection/{connection.pk}/companies/?q=Pair+0042",
        "approval queue (invoices)": "/admin/connector/link/?kind__exact=invoice&state__exact=awaiting_approval",
        "connector home": "/admin/",
        "job cost report": "/job-costs/",
    }
    return {name: measure(client, url) for name, url in pages.items()}


def run(out: Path | None) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from connector.models import Connection, ConnectionSettings

    connection = Connection.objects.create(procore_company_id=4270001, procore_company_name="Summit Ridge Builders",
                                           xero_tenant_id="bench-pages", xero_organisation_name="Summit Ridge LLC",
                                           xero_country="US", status=Connection.Status.ACTIVE,
                                           connected_at=datetime.now(UTC))
    ConnectionSettings.objects.get_or_create(connection=connection)
    seed_matching(connection, procore=MEDIUM["procore_companies"], xero=MEDIUM["xero_contacts"],
                  suggested=MEDIUM["suggested"])
    record_run = seed_run(connection, records=MEDIUM["run_records"])
    seed_queue(connection, invoices=MEDIUM["queue_invoices"])
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass-word")
    result = {"dataset": MEDIUM, "pages": measure_pages(user, connection, record_run),
              "at": datetime.now(UTC).isoformat(timespec="seconds")}
    lines = ["| page | weight | time |", "|---|---:|---:|"] + [
        f"| {name} | {m['bytes'] / 1024:,.0f} KB | {m['seconds'] * 1000:,.0f} ms |"
        for name, m in result["pages"].items()]
    table = "\n".join(lines) + "\n"
    print(table)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "pages-medium.json").write_text(json.dumps(result, indent=2))
        (out / "pages-medium.md").write_text(table)
        from .run import quote_in_readme

        quote_in_readme(table, marker="pages")
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/results", help="where pages-medium.json/.md go ('' for none)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.local")
    os.environ.setdefault("VAR_DIR", str(workdir))
    # Never the deployment's DATABASE_URL: BENCH_DATABASE_URL (an empty database) or a throwaway SQLite file.
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'pages.sqlite3'}"
    os.environ.setdefault("RATE_BUDGETS_ENABLED", "false")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    run(Path(args.out) if args.out else None)


if __name__ == "__main__":
    sys.exit(main())
