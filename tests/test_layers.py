"""The layers import downwards only: connector (models, services, selectors, clients) ← sync (the engine) ← tasks.

The API clients know nothing of Django models, and the connector app never imports the engine: what people do
reaches the engine through connector.signals, which sync listens to."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package: str) -> dict[str, set[str]]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{path} imports {name}" for path, names in imported_modules(package).items() for name in names
                  if name.split(".")[0] in forbidden or any(name.startswith(f + ".") for f in forbidden))


def test_the_connector_app_never_imports_the_engine():
    assert offenders("connector", ("sync", "bench")) == []


def test_the_api_clients_know_nothing_of_the_models_or_the_engine():
    for client in ("procore_client", "xero_client"):
        assert offenders(client, ("django.db", "connector", "sync")) == []


def test_the_engine_never_imports_the_benchmark_or_the_sandboxes():
    assert offenders("sync", ("bench", "sandbox")) == []
