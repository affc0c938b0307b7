"""The sandboxes' request recording (for the bare replay): off by default, then every API call in order."""

import requests

from sandbox import runner


def test_recording_is_off_until_asked_and_then_keeps_each_api_call():
    server = runner.start(runner.build_xero, size="empty", seed=1)
    try:
        api = f"{server.url}/api.xro/2.0/Items?where=Code%3D%3D%22A%22"
        requests.get(api, timeout=5)
        assert requests.get(f"{server.url}/_sandbox/recording", timeout=5).json() == []
        requests.post(f"{server.url}/_sandbox/recording", json={"on": True}, timeout=5)
        requests.get(api, headers={"xero-tenant-id": "t-1"}, timeout=5)
        requests.get(f"{server.url}/_sandbox/stats", timeout=5)  # the control API is not recorded
        calls = requests.get(f"{server.url}/_sandbox/recording", timeout=5).json()
        assert [(c["method"], c["path"], c["query"]) for c in calls] == [
            ("GET", "/api.xro/2.0/Items", "where=Code%3D%3D%22A%22")]
        assert calls[0]["headers"]["Xero-Tenant-Id"] == "t-1"
        requests.post(f"{server.url}/_sandbox/recording", json={"on": False}, timeout=5)
        assert requests.get(f"{server.url}/_sandbox/recording", timeout=5).json() == []
    finally:
        server.stop()
