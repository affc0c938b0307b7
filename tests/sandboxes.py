"""Reading and steering the test sandboxes from tests (their /_sandbox control surface)."""

import requests


def data(server, resource, **match):
    """Records of one sandbox resource, optionally only those whose fields equal `match`."""
    rows = requests.get(f"{server.url}/_sandbox/data/{resource}", timeout=10).json()
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def faults(*servers, **values):
    """Set fault knobs (error_rate, drop_after_commit_rate, rate_limits, seed…) on each server."""
    for server in servers:
        requests.post(f"{server.url}/_sandbox/faults", json=values, timeout=10).raise_for_status()


def calls_reset(*servers):
    for server in servers:
        requests.post(f"{server.url}/_sandbox/stats/reset", timeout=10).raise_for_status()


def calls(server) -> dict:
    """API calls the server answered since the last reset: "METHOD /rule" → count."""
    return requests.get(f"{server.url}/_sandbox/stats", timeout=10).json()["calls"]
