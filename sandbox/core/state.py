"""In-memory state of one emulator: tables of JSON-able dicts behind one re-entrant lock.

Each emulator subclasses `SandboxState` and implements `seed(size, seed)`. Everything that
changes state holds `state.lock`, so the threaded server stays consistent.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Faults:
    """Fault injection knobs set through POST /_sandbox/faults."""

    error_rate: float = 0.0  # share of API calls answered 500/503 before doing anything
    drop_after_commit_rate: float = 0.0  # share of writes applied, then the connection is cut
    latency_ms: int = 0  # added to every API call
    rate_limits: bool = True  # enforce the platform's rate limits
    clock_speed: float = 1.0  # how fast the rate-limit clock runs (60 ⇒ a minute passes in a second)
    seed: int | None = None  # seeds the fault dice, for reproducible chaos
    duplicate_webhook_rate: float = 0.0  # Procore: share of webhook events delivered twice (at-least-once)
    # Xero emulator knobs (sandbox/xero)
    force_429: int = 0  # answer the next N accounting calls with 429 (a burst)
    force_429_problem: str = "minute"  # X-Rate-Limit-Problem of the forced 429s: minute | day | concurrent
    starter_tier: bool = False  # Xero developer Starter tier: 1,000 calls/day per org instead of 5,000
    idempotency_window_s: float = 360.0  # how long an Idempotency-Key replays its first answer
    access_token_ttl_s: int = 1800  # lifetime of Xero access tokens issued from now on
    max_active_options: int = 100  # active options per Xero tracking category
    page_size: int = 0  # Xero: serve this many per page whatever pageSize asks (0: honour pageSize)
    # A barrier for tests: while on, API calls wait unanswered (counted in stats `held`) until it is set off.
    hold: bool = False

    def update(self, values: dict) -> None:
        for key, value in values.items():
            if not hasattr(self, key):
                raise KeyError(key)
            current = getattr(self, key)
            setattr(self, key, type(current)(value) if current is not None and value is not None else value)


class Clock:
    """Monotonic clock for rate-limit windows that can run faster than real time."""

    def __init__(self) -> None:
        self._origin_real = time.monotonic()
        self._origin_virtual = time.time()
        self.speed = 1.0

    def set_speed(self, speed: float) -> None:
        now = self.now()
        self._origin_real, self._origin_virtual, self.speed = time.monotonic(), now, max(speed, 0.001)

    def now(self) -> float:
        return self._origin_virtual + (time.monotonic() - self._origin_real) * self.speed


@dataclass
class Stats:
    calls: Counter = field(default_factory=Counter)  # "GET /rest/v1.0/projects" → count
    throttled: int = 0  # 429s sent
    errors_injected: int = 0
    drops_injected: int = 0
    # Per company (Procore-Company-Id) or organisation (xero-tenant-id): calls answered and 429s among them.
    tenant_calls: Counter = field(default_factory=Counter)
    tenant_throttled: Counter = field(default_factory=Counter)
    held: int = 0  # API calls that have waited on the `hold` barrier

    def as_dict(self) -> dict:
        data = asdict(self)  # Counters come back mangled (asdict rebuilds them from pairs): set them again below
        data["calls"] = dict(sorted(self.calls.items()))
        data["tenant_calls"], data["tenant_throttled"] = dict(self.tenant_calls), dict(self.tenant_throttled)
        data["total_calls"] = sum(self.calls.values())
        return data


class SandboxState:
    """Base class; subclasses own `tables` and seed them deterministically."""

    name = "sandbox"

    def __init__(self, size: str = "small", seed: int = 1, persist_path: Path | None = None,
                 tenants: int = 1) -> None:
        self.tenants = max(1, int(tenants))  # equal companies / organisations holding the dataset, each its own
        self.lock = threading.RLock()
        self.clock = Clock()
        self.faults = Faults()
        self.stats = Stats()
        self.released = threading.Event()  # set while `hold` is off
        self.released.set()
        self.dice = random.Random()
        self.uuids: random.Random | None = None  # a repeatable sequence of new records' ids (sandbox.core.ids)
        self.persist_path = persist_path
        self.tables: dict[str, dict] = {}
        self.size, self.seed_value = size, seed
        self.reset(size=size, seed=seed)

    # -- lifecycle -------------------------------------------------------------------------------
    def reset(self, size: str = "small", seed: int = 1, tenants: int | None = None) -> None:
        with self.lock:
            self.size, self.seed_value = size, seed
            self.tenants = max(1, int(tenants)) if tenants is not None else self.tenants
            self.tables = {}
            self.stats = Stats()
            self.faults = Faults()
            self.released.set()
            self.clock.set_speed(1.0)
            self.dice = random.Random(seed)
            self.uuids = None
            self.seed(size, seed)

    def seed(self, size: str, seed: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_faults(self, values: dict) -> dict:
        with self.lock:
            self.faults.update(values)
            (self.released.clear if self.faults.hold else self.released.set)()
            self.clock.set_speed(self.faults.clock_speed)
            if self.faults.seed is not None:
                self.dice = random.Random(self.faults.seed)
            return asdict(self.faults)

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self.lock:
            return self.dice.random() < rate

    # -- tables ----------------------------------------------------------------------------------
    def table(self, name: str) -> dict:
        return self.tables.setdefault(name, {})

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {name: len(rows) for name, rows in sorted(self.tables.items())}

    def dump(self, resource: str) -> list:
        with self.lock:
            return json.loads(json.dumps(list(self.table(resource).values()), default=str))

    # -- persistence (optional, `manage.py sandbox --persist`) -----------------------------------
    def save(self) -> None:
        if not self.persist_path:
            return
        with self.lock:
            payload = {"size": self.size, "seed": self.seed_value, "tenants": self.tenants,
                       "tables": self._tables_for_json()}
            tmp = self.persist_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(payload, default=str))
            tmp.replace(self.persist_path)

    def load(self) -> bool:
        if not self.persist_path or not self.persist_path.exists():
            return False
        payload = json.loads(self.persist_path.read_text())
        with self.lock:
            self.size, self.seed_value = payload["size"], payload["seed"]
            self.tenants = payload.get("tenants", 1)
            self.tables = self._tables_from_json(payload["tables"])
            self.uuids = None
        return True

    def _tables_for_json(self) -> dict:
        return {name: list(rows.items()) for name, rows in self.tables.items()}

    def _tables_from_json(self, tables: dict) -> dict:
        return {name: {key: row for key, row in rows} for name, rows in tables.items()}
