"""Signed webhooks (CONTACT, INVOICE, CREDITNOTE with its Type and Status) with Xero's intent-to-receive
handshake (specs/xero/xero-webhooks.yaml).

`configure(url, key)` stands in for the developer portal: it immediately sends a correctly signed and
an incorrectly signed empty payload and records whether the receiver answered 200 and 401. Events
queue only once that handshake passed; a background thread delivers them with retries, and
POST /_sandbox/webhooks/flush delivers everything due synchronously (tests never sleep).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import string
import threading
import uuid
from datetime import UTC, datetime

import requests

log = logging.getLogger(__name__)
RETRY_DELAYS_S = [5, 30, 120, 600, 3600]  # then keep trying hourly until 24 h have passed
GIVE_UP_AFTER_S = 24 * 3600


def sign(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


class Webhooks:
    def __init__(self, state) -> None:
        self.state = state
        self.url: str | None = None
        self.key: str | None = None
        self.intent_to_receive: dict | None = None
        self.sequence = 0
        self.deliveries: list[dict] = []  # log of attempts, newest last
        self._rand = random.Random()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.clear_queue()

    def uuid(self) -> str:
        return str(uuid.uuid4())

    def reset(self) -> None:
        self.url = self.key = self.intent_to_receive = None
        self.deliveries = []
        self.clear_queue()

    def clear_queue(self) -> None:
        self.pending: list[dict] = []  # batches: {"events", "first", "last", "attempts", "due", "since"}

    def active(self) -> bool:
        return bool(self.url and self.intent_to_receive and self.intent_to_receive["passed"])

    # -- configuration and handshake -------------------------------------------------------------
    def configure(self, url: str, key: str) -> dict:
        self.url, self.key = url, key
        good = self._post(json.dumps(self._payload([])).encode(), key)
        bad = self._post(json.dumps(self._payload([])).encode(), key + "-wrong")
        self.intent_to_receive = {
            "signed_status": good,
            "badly_signed_status": bad,
            "passed": good == 200 and bad == 401,
        }
        if self.active():
            self._ensure_thread()
        return self.describe()

    def describe(self) -> dict:
        with self.state.lock:
            return {
                "url": self.url,
                "intent_to_receive": self.intent_to_receive,
                "active": self.active(),
                "pending_events": sum(len(b["events"]) for b in self.pending),
                "deliveries": self.deliveries[-50:],
            }

    # -- events ----------------------------------------------------------------------------------
    def queue(
        self, tenant: str, category: str, resource: str, resource_id: str, created: bool, data: dict | None = None
    ) -> None:
        if not self.active():
            return
        with self.state.lock:
            self.sequence += 1
            now = self.state.now()
            event = {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/{resource}/{resource_id}",
                "resourceId": resource_id,
                "eventDateUtc": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                "eventType": "CREATE" if created else "UPDATE",
                "eventCategory": category,
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
            }
            if data:
                event["data"] = dict(data)
            last = self.pending[-1] if self.pending else None
            open_batch = last if last and last["attempts"] == 0 and not last.get("sending") else None
            if open_batch is None:
                open_batch = {
                    "events": [],
                    "first": self.sequence,
                    "attempts": 0,
                    "due": now + 1,
                    "since": now,
                }
                self.pending.append(open_batch)
            open_batch["events"].append(event)
            open_batch["last"] = self.sequence
        self._wake.set()

    def _payload(self, events: list, first: int | None = None, last: int | None = None) -> dict:
        entropy = "".join(self._rand.choice(string.ascii_uppercase) for _ in range(20))
        return {
            "events": events,
            "firstEventSequence": first if first is not None else self.sequence,
            "lastEventSequence": last if last is not None else self.sequence,
            "entropy": entropy,
        }

    def _post(self, body: bytes, key: str) -> int | None:
        try:
            response = requests.post(
                self.url,
                data=body,
                timeout=5,
                headers={"Content-Type": "application/json", "x-xero-signature": sign(key, body)},
            )
            return response.status_code
        except requests.RequestException:
            return None

    def deliver_due(self, force: bool = False) -> int:
        """Send every batch that is due (all of them when forced); returns how many were accepted."""
        delivered = 0
        with self.state.lock:
            now = self.state.now()
            due = [b for b in self.pending if not b.get("sending") and (force or b["due"] <= now)]
            for batch in due:
                batch["sending"] = True  # the thread and a flush never send one batch twice
        for batch in due:
            body = json.dumps(self._payload(batch["events"], batch["first"], batch["last"])).encode()
            status = self._post(body, self.key)
            with self.state.lock:
                batch["attempts"] += 1
                batch["sending"] = False
                self.deliveries.append(
                    {"events": len(batch["events"]), "status": status, "attempt": batch["attempts"]}
                )
                if status == 200:
                    delivered += 1
                    self._drop(batch)
                elif now - batch["since"] > GIVE_UP_AFTER_S:
                    self._drop(batch)
                else:
                    delay = RETRY_DELAYS_S[min(batch["attempts"] - 1, len(RETRY_DELAYS_S) - 1)]
                    batch["due"] = now + delay
        return delivered

    def _drop(self, batch: dict) -> None:
        if batch in self.pending:
            self.pending.remove(batch)

    def _ensure_thread(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="xero-webhooks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            try:
                self.deliver_due()
            except Exception:  # the delivery thread must survive anything a receiver does
                log.exception("webhook delivery failed")
