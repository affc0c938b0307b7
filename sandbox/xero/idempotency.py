"""Idempotency-Key: the first answer is replayed for the same request within the window.

Keys are per tenant. Reusing a key with a different request is refused with a 400; after the window
the key is forgotten and a write with it executes again (why the engine keeps its own links too).
"""

from __future__ import annotations

import hashlib


class IdempotencyCache:
    def __init__(self, state) -> None:
        self.state = state
        self._entries: dict[tuple[str, str], dict] = {}

    def clear(self) -> None:
        self._entries = {}

    @staticmethod
    def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
        return hashlib.sha256(
            b"\n".join([method.encode(), path.lower().encode(), query.encode(), body])
        ).hexdigest()

    def lookup(self, tenant: str, key: str, fingerprint: str) -> tuple[str, dict | None]:
        """('new', None) | ('replay', entry) | ('conflict', entry). Caller holds state.lock."""
        entry = self._entries.get((tenant, key))
        if entry is None or self.state.now() - entry["at"] > self.state.faults.idempotency_window_s:
            return "new", None
        return ("replay" if entry["fingerprint"] == fingerprint else "conflict"), entry

    def store(self, tenant: str, key: str, fingerprint: str, status: int, body: bytes) -> None:
        self._entries[(tenant, key)] = {
            "fingerprint": fingerprint,
            "status": status,
            "body": body,
            "at": self.state.now(),
        }
