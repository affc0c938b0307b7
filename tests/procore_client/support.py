"""Shared test helpers for the Procore emulator and client tests (real HTTP against the sandbox)."""

from __future__ import annotations

import threading

import requests
from flask import Flask, jsonify, request

from procore_client import ProcoreClient, ProcoreOAuth
from sandbox.core.server import ServerThread
from sandbox.procore import CLIENT_ID, CLIENT_SECRET

COMPANY_ID = 4270001
OTHER_COMPANY_ID = 4270002


def control(server, path: str, body: dict | None = None):
    """POST (or GET when body is None and path has no verb) to the emulator's /_sandbox surface."""
    response = requests.post(f"{server.url}/_sandbox/{path}", json=body or {}, timeout=10)
    assert response.status_code < 400, response.text
    return response.json()


def data(server, resource: str) -> list[dict]:
    return requests.get(f"{server.url}/_sandbox/data/{resource}", timeout=10).json()


def oauth(server, redirect_uri: str = "urn:ietf:wg:oauth:2.0:oob") -> ProcoreOAuth:
    return ProcoreOAuth(server.url, CLIENT_ID, CLIENT_SECRET, redirect_uri)


class TokenKeeper:
    """What the connection layer does: hold the token, get a new one when the client says it was rejected."""

    def __init__(self, server):
        self.oauth = oauth(server)
        self.tokens = self.oauth.client_credentials()
        self.renewals = 0
        self._lock = threading.Lock()

    def access_token(self) -> str:
        return self.tokens.access_token

    def on_unauthorized(self, rejected: str) -> str:
        with self._lock:
            if self.tokens.access_token == rejected:
                self.tokens = self.oauth.client_credentials()
                self.renewals += 1
            return self.tokens.access_token


def bearer(server) -> dict:
    token = oauth(server).client_credentials().access_token
    return {"Authorization": f"Bearer {token}", "Procore-Company-Id": str(COMPANY_ID)}


def make_client(server, company_id: int = COMPANY_ID, **options) -> ProcoreClient:
    keeper = TokenKeeper(server)
    client = ProcoreClient(server.url, company_id, keeper.access_token, keeper.on_unauthorized, **options)
    client.keeper = keeper
    return client


class Receiver:
    """A webhook receiver on a real port; answers `fail_next` failures (500) before succeeding."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0
        app = Flask("receiver")

        @app.post("/procore/events")
        def events():
            self.received.append({"json": request.get_json(), "headers": dict(request.headers)})
            if self.fail_next > 0:
                self.fail_next -= 1
                return jsonify({"error": "not now"}), 500
            return "", 204

        self.server = ServerThread(app).start()
        self.url = f"{self.server.url}/procore/events"

    def stop(self):
        self.server.stop()
