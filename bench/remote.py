"""The sandboxes' control API as the benchmark uses it: counts, calls per endpoint, faults, data."""

from __future__ import annotations

from collections import Counter

import requests

# Calls that are not the accounting/REST surface the rate limits are about (OAuth, Xero's /connections).
AUTH_MARKERS = ("/oauth/", "/connect/", "/connections")


class Sandbox:
    def __init__(self, url: str) -> None:
        self.url = url

    def _get(self, path: str):
        response = requests.get(f"{self.url}/_sandbox/{path}", timeout=120)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: dict):
        response = requests.post(f"{self.url}/_sandbox/{path}", json=body, timeout=600)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict:
        return self._get("stats")

    def calls(self) -> Counter:
        """API calls so far per "METHOD rule", without the OAuth ones."""
        return Counter({k: v for k, v in self.stats()["calls"].items() if not any(m in k for m in AUTH_MARKERS)})

    def counts(self) -> dict:
        return self.stats()["records"]

    def faults(self, **values) -> dict:
        return self._post("faults", values)

    def data(self, resource: str) -> list:
        """A table's rows; none when the dataset has no such table (e.g. `empty`)."""
        response = requests.get(f"{self.url}/_sandbox/data/{resource}", timeout=120)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return response.json()

    def reset(self, size: str, seed: int) -> dict:
        return self._post("reset", {"size": size, "seed": seed})

    def repeat_ids(self, seed: int) -> None:
        """New records get the ids of `seed`'s sequence until the next reset (the replay meets the same ids)."""
        self._post("ids", {"seed": seed})

    def recording(self, on: bool) -> None:
        self._post("recording", {"on": on})

    def recorded(self) -> list:
        return self._get("recording")

    def act(self, action: str, **values) -> bool:
        """Procore only: what a project manager or approver clicks (the console's actions, through the API)."""
        response = requests.post(f"{self.url}/_sandbox/act/{action}", json=values, timeout=120)
        return response.status_code < 300

    def webhooks(self, url: str) -> dict:
        """Xero only: where its webhooks go (the developer portal's setting; the handshake runs at once)."""
        return self._post("webhooks", {"url": url})

    def settings(self, **values) -> None:
        """Procore only: the emulator's settings (e.g. webhook_autodeliver)."""
        self._post("settings", values)


def diff(after: Counter, before: Counter) -> Counter:
    return Counter({k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0})
