"""`manage.py sandbox --size small` serves both emulators; the SDK client works against the process."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from xero_client import XeroClient

from .helpers import US_TENANT, connect

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    def __init__(self, url):
        self.url = url


@pytest.mark.e2e
def test_manage_py_sandbox_serves_both_emulators():
    procore_port, xero_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "sandbox",
            "--size",
            "small",
            "--procore-port",
            str(procore_port),
            "--xero-port",
            str(xero_port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        xero = f"http://127.0.0.1:{xero_port}"
        deadline = time.monotonic() + 30  # waiting for start-up, not asserting on timing
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{xero}/_sandbox/stats", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert requests.get(f"http://127.0.0.1:{procore_port}/_sandbox/stats", timeout=5).ok
        stats = requests.get(f"{xero}/_sandbox/stats", timeout=5).json()
        assert stats["records"]["Contacts"] == 20
        tokens = connect(_Server(xero))
        client = XeroClient(xero, US_TENANT, lambda: tokens)
        assert client.organisation().name == "Summit Ridge Builders LLC"
        [result] = client.write_batch("contacts", [{"Name": "Process Check LLC"}], "cmd-1")
        assert result.ok
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
