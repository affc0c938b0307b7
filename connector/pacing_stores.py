"""Where the shared budgets live: Redis (one Lua script per step) or a SQLite file (one IMMEDIATE
transaction per step). Both keep, per account, the calls in flight (with a lease) and the answered calls
(stamped when answered), the block a Retry-After set, and whether an answer has been seen since the store
was last emptied; `connector.pacing` says what the steps mean."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from .pacing import Budget

POLL_S = 0.05  # how often to look again while the calls in flight are what blocks
LEASE_S = 180.0  # longest a call may stay in flight before its place is freed (clients time out after 60 s)


# -- stores --------------------------------------------------------------------------------------------
class RedisStore:
    """One sorted set of answered calls and one of calls in flight per account, changed by Lua only."""

    ADMIT = """
    local log, flight, block, seeded = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
    local now = tonumber(ARGV[1])
    if now < 0 then
      local t = redis.call('TIME')
      now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    local id, lease, cap, ttl, poll = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
      tonumber(ARGV[6])
    local n, longest = tonumber(ARGV[7]), 0
    -- a call whose lease ran out (its worker died) stays counted from the end of its lease
    local expired = redis.call('ZRANGEBYSCORE', flight, '-inf', '(' .. now, 'WITHSCORES')
    for i = 1, #expired, 2 do redis.call('ZADD', log, expired[i + 1], expired[i]) end
    if #expired > 0 then redis.call('ZREMRANGEBYSCORE', flight, '-inf', '(' .. now) end
    local blocked = redis.call('HMGET', block, 'until', 'label')
    if blocked[1] and tonumber(blocked[1]) > now then
      return {tonumber(blocked[1]) - now, blocked[2], now}
    end
    local flying = redis.call('ZCARD', flight)
    if flying > 0 and redis.call('EXISTS', seeded) == 0 then return {poll, 'first answer', now} end
    if cap > 0 and flying >= cap then
      local first = redis.call('ZRANGE', flight, 0, 0, 'WITHSCORES')
      return {math.max(1, math.min(poll, tonumber(first[2]) - now + 1)), 'concurrent', now}
    end
    local wait, waiting_for = 0, ''
    for w = 1, n do
      local span, limit, label = tonumber(ARGV[5 + 3 * w]), tonumber(ARGV[6 + 3 * w]), ARGV[7 + 3 * w]
      if span > longest then longest = span end
      local logged = redis.call('ZCOUNT', log, now - span, '+inf')
      local excess = logged + flying - limit + 1
      if excess > 0 then  -- the longest wait of all full windows is the one that counts
        local this = poll
        if excess <= logged then
          local e = redis.call('ZRANGEBYSCORE', log, now - span, '+inf', 'WITHSCORES', 'LIMIT', excess - 1, 1)
          this = tonumber(e[2]) + span - now + 1
        end
        if this > wait then wait, waiting_for = this, label end
      end
    end
    if wait > 0 then return {wait, waiting_for, now} end
    redis.call('ZADD', flight, now + lease, id)
    redis.call('ZREMRANGEBYSCORE', log, '-inf', '(' .. (now - longest))
    redis.call('PEXPIRE', log, ttl)
    redis.call('PEXPIRE', flight, ttl)
    return {0, '', now}
    """

    COMPLETE = """
    local log, flight, seeded = KEYS[1], KEYS[2], KEYS[3]
    local now = tonumber(ARGV[1])
    if now < 0 then
      local t = redis.call('TIME')
      now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    local id, tag, ttl, n = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
    if id ~= '' then
      redis.call('ZREM', flight, id)
      redis.call('ZADD', log, now, id)
    end
    local flying, shorter = redis.call('ZCARD', flight), -1
    for w = 1, n do
      local span, limit, left = tonumber(ARGV[3 + 3 * w]), tonumber(ARGV[4 + 3 * w]), tonumber(ARGV[5 + 3 * w])
      if left >= 0 then
        local missing = limit - redis.call('ZCOUNT', log, now - span, '+inf') - flying - left
        -- calls the remote counts here but not in a shorter window it also reported happened before that one
        local at = now
        if shorter >= 0 then at = now - shorter - 1 end
        shorter = span
        local batch = {}
        for i = 1, missing do
          batch[#batch + 1] = at
          batch[#batch + 1] = 'seen:' .. tag .. ':' .. w .. ':' .. i
          if #batch >= 1000 then redis.call('ZADD', log, unpack(batch)); batch = {} end
        end
        if #batch > 0 then redis.call('ZADD', log, unpack(batch)) end
      end
    end
    redis.call('SET', seeded, '1', 'PX', ttl)
    redis.call('PEXPIRE', log, ttl)
    return now
    """

    BLOCK = """
    local now = tonumber(ARGV[1])
    if now < 0 then
      local t = redis.call('TIME')
      now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    local untl = now + tonumber(ARGV[2])
    local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
    if untl > current then
      redis.call('HSET', KEYS[1], 'until', untl, 'label', ARGV[3])
      redis.call('PEXPIRE', KEYS[1], untl - now + 1000)
    end
    return untl
    """

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)
        self._admit = self.redis.register_script(self.ADMIT)
        self._complete = self.redis.register_script(self.COMPLETE)
        self._block = self.redis.register_script(self.BLOCK)

    @staticmethod
    def _keys(name: str) -> dict[str, str]:
        base = f"pacing:{{{name}}}"  # one hash slot per account
        return {k: f"{base}:{k}" for k in ("log", "flight", "block", "seeded")}

    @staticmethod
    def _ttl(budget: Budget) -> int:
        return int((max(w.seconds for w in budget.windows) + LEASE_S) * 1000) + 1000

    def admit(self, budget: Budget, call_id: str, now_ms: int) -> tuple[int, str, int]:
        keys = self._keys(budget.name)
        args = [now_ms, call_id, int(LEASE_S * 1000), budget.concurrency, self._ttl(budget), int(POLL_S * 1000),
                len(budget.windows)]
        for window in budget.windows:
            args += [int(window.seconds * 1000), window.calls, window.label]
        wait, label, now = self._admit(keys=[keys["log"], keys["flight"], keys["block"], keys["seeded"]],
                                       args=args)
        return int(wait), label.decode() if isinstance(label, bytes) else str(label), int(now)

    def complete(self, budget: Budget, call_id: str | None, now_ms: int, remaining: dict[str, int]) -> int:
        keys = self._keys(budget.name)
        args = [now_ms, call_id or "", uuid.uuid4().hex, self._ttl(budget), len(budget.windows)]
        for window in budget.windows:
            args += [int(window.seconds * 1000), window.calls, remaining.get(window.label, -1)]
        return int(self._complete(keys=[keys["log"], keys["flight"], keys["seeded"]], args=args))

    def block(self, budget: Budget, now_ms: int, seconds: float, label: str) -> None:
        self._block(keys=[self._keys(budget.name)["block"]], args=[now_ms, int(seconds * 1000), label])

    def used(self, budget: Budget, seconds: float) -> int:
        """Calls counted in the last `seconds` (answered or in flight), for people to read."""
        keys, now = self._keys(budget.name), int(time.time() * 1000)
        return int(self.redis.zcount(keys["log"], now - int(seconds * 1000), "+inf") + self.redis.zcard(keys["flight"]))

    def forget(self) -> None:
        """Forget every account (what a Redis flush does; tests start from here)."""
        for key in self.redis.scan_iter(match="pacing:{*", count=500):
            self.redis.delete(key)


class SQLiteStore:
    """The same log in a SQLite file: SQLite's own file lock makes each step atomic across processes."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS calls (account TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL,
                                      lease INTEGER, PRIMARY KEY (account, id));
    CREATE INDEX IF NOT EXISTS calls_at ON calls (account, lease, at);
    CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY, blocked_until INTEGER NOT NULL DEFAULT 0,
                                         blocked_for TEXT NOT NULL DEFAULT '', seeded INTEGER NOT NULL DEFAULT 0);
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(self.SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    class _Tx:
        def __init__(self, db):
            self.db = db

        def __enter__(self):
            self.db.execute("BEGIN IMMEDIATE")  # takes the write lock first: no lost update between processes
            return self.db

        def __exit__(self, kind, *_):
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")

    def _tx(self):
        return self._Tx(self._db())

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    @staticmethod
    def _now(now_ms: int) -> int:
        return now_ms if now_ms >= 0 else int(time.time() * 1000)

    def admit(self, budget: Budget, call_id: str, now_ms: int) -> tuple[int, str, int]:
        name, poll = budget.name, int(POLL_S * 1000)
        with self._tx() as db:
            now = self._now(now_ms)
            db.execute("UPDATE calls SET at = lease, lease = NULL WHERE account = ? AND lease < ?", (name, now))
            row = db.execute("SELECT blocked_until, blocked_for, seeded FROM accounts WHERE account = ?",
                             (name,)).fetchone() or (0, "", 0)
            if row[0] > now:
                return row[0] - now, row[1], now
            flights = [r[0] for r in db.execute(
                "SELECT lease FROM calls WHERE account = ? AND lease IS NOT NULL ORDER BY lease", (name,))]
            if flights and not row[2]:
                return poll, "first answer", now
            if budget.concurrency and len(flights) >= budget.concurrency:
                return max(1, min(poll, flights[0] - now + 1)), "concurrent", now
            wait, waiting_for = 0, ""
            for window in budget.windows:
                span = int(window.seconds * 1000)
                logged = db.execute("SELECT COUNT(*) FROM calls WHERE account = ? AND lease IS NULL AND at >= ?",
                                    (name, now - span)).fetchone()[0]
                excess = logged + len(flights) - window.calls + 1
                if excess > 0:  # the longest wait of all full windows is the one that counts
                    this = poll
                    if excess <= logged:
                        this = db.execute("SELECT at FROM calls WHERE account = ? AND lease IS NULL AND at >= ? "
                                          "ORDER BY at LIMIT 1 OFFSET ?",
                                          (name, now - span, excess - 1)).fetchone()[0] + span - now + 1
                    if this > wait:
                        wait, waiting_for = this, window.label
            if wait:
                return wait, waiting_for, now
            longest = int(max(w.seconds for w in budget.windows) * 1000)
            db.execute("INSERT INTO calls (account, id, at, lease) VALUES (?, ?, ?, ?)",
                       (name, call_id, now, now + int(LEASE_S * 1000)))
            db.execute("DELETE FROM calls WHERE account = ? AND lease IS NULL AND at < ?", (name, now - longest))
            return 0, "", now

    def complete(self, budget: Budget, call_id: str | None, now_ms: int, remaining: dict[str, int]) -> int:
        name = budget.name
        with self._tx() as db:
            now = self._now(now_ms)
            if call_id:
                db.execute("INSERT INTO calls (account, id, at, lease) VALUES (?, ?, ?, NULL) "
                           "ON CONFLICT (account, id) DO UPDATE SET at = excluded.at, lease = NULL",
                           (name, call_id, now))
            flying = db.execute("SELECT COUNT(*) FROM calls WHERE account = ? AND lease IS NOT NULL",
                                (name,)).fetchone()[0]
            shorter, tag = None, uuid.uuid4().hex
            for index, window in enumerate(budget.windows):
                left = remaining.get(window.label)
                if left is None:
                    continue
                logged = db.execute("SELECT COUNT(*) FROM calls WHERE account = ? AND lease IS NULL AND at >= ?",
                                    (name, now - int(window.seconds * 1000))).fetchone()[0]
                missing = window.calls - logged - flying - left
                # calls the remote counts here but not in a shorter window it also reported happened before that one
                at = now if shorter is None else now - shorter - 1
                shorter = int(window.seconds * 1000)
                db.executemany("INSERT INTO calls (account, id, at, lease) VALUES (?, ?, ?, NULL)",
                               [(name, f"seen:{tag}:{index}:{i}", at) for i in range(max(0, missing))])
            db.execute("INSERT INTO accounts (account, seeded) VALUES (?, 1) "
                       "ON CONFLICT (account) DO UPDATE SET seeded = 1", (name,))
            return now

    def block(self, budget: Budget, now_ms: int, seconds: float, label: str) -> None:
        with self._tx() as db:
            until = self._now(now_ms) + int(seconds * 1000)
            db.execute("INSERT INTO accounts (account, blocked_until, blocked_for) VALUES (?, ?, ?) "
                       "ON CONFLICT (account) DO UPDATE SET blocked_until = excluded.blocked_until, "
                       "blocked_for = excluded.blocked_for WHERE excluded.blocked_until > blocked_until",
                       (budget.name, until, label))

    def used(self, budget: Budget, seconds: float) -> int:
        """Calls counted in the last `seconds` (answered or in flight), for people to read."""
        since = int(time.time() * 1000) - int(seconds * 1000)
        return self._db().execute("SELECT COUNT(*) FROM calls WHERE account = ? AND (lease IS NOT NULL OR at >= ?)",
                                  (budget.name, since)).fetchone()[0]

    def forget(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM calls")
            db.execute("DELETE FROM accounts")


_stores: dict[tuple, RedisStore | SQLiteStore] = {}
_stores_lock = threading.Lock()
_inherited: list = []  # a forked child's copies of its parent's stores: never used, never closed


def _after_fork_in_child() -> None:
    # SQLite must not see a connection opened before a fork closed in the child (closing the last connection of
    # a process checkpoints and removes the WAL under the feet of the others): keep them, unused, for good.
    global _stores_lock
    _inherited.extend(_stores.values())
    _stores.clear()
    _stores_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def store() -> RedisStore | SQLiteStore:
    """This process's handle on the shared store (Redis if configured, else the SQLite file)."""
    key = (os.getpid(), settings.REDIS_URL or "", str(settings.RATE_BUDGET_SQLITE_PATH))
    with _stores_lock:
        if key not in _stores:
            _stores[key] = RedisStore(key[1]) if key[1] else SQLiteStore(key[2])
        return _stores[key]
