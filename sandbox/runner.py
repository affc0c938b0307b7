"""Build and serve both emulators (used by `manage.py sandbox`, the tests and the benchmark)."""

from __future__ import annotations

from pathlib import Path

from .core.server import ServerThread


def build_procore(size: str = "small", seed: int = 1, persist_path: Path | None = None, tenants: int = 1,
             **app_options):
    from .procore import ProcoreState, create_app

    state = ProcoreState(size=size, seed=seed, persist_path=persist_path, tenants=tenants)
    return create_app(state, **app_options), state


def build_xero(size: str = "small", seed: int = 1, persist_path: Path | None = None, tenants: int = 1,
             **app_options):
    from .xero import XeroState, create_app

    state = XeroState(size=size, seed=seed, persist_path=persist_path, tenants=tenants)
    return create_app(state, **app_options), state


def start(builder, host: str = "127.0.0.1", port: int = 0, **kwargs) -> ServerThread:
    """Start one emulator on a real socket; `server.state` is its in-memory state."""
    app, state = builder(**kwargs)
    server = ServerThread(app, host=host, port=port).start()
    server.state = state
    server.app = app
    return server
