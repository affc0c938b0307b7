"""The bare replay: the same HTTP calls the connector made, sent in order with no connector logic.

The sandboxes are reset to the same dataset first so the calls meet the same starting data, and both runs
ask for the same repeatable sequence of new records' ids (sandbox.core.ids): the replay's attachments and
updates reach the documents it re-created and cost the sandbox what the connector's did. What still answers
4xx is counted (`non_2xx`) and paid for all the same.
"""

from __future__ import annotations

import time

import requests

from .remote import AUTH_MARKERS, Sandbox


def fresh_tokens(tenant_id: str, site_url: str) -> dict:
    """Access tokens for both sandboxes through the consent flow (no connection row is made)."""
    from connector import oauth
    from connector.management.commands.connect_sandbox import _code
    from sandbox.consent import consent

    procore = oauth.procore_oauth(site_url)
    xero = oauth.xero_oauth(site_url)
    return {"procore": procore.exchange_code(_code(consent(procore.authorize_url("bench")))).access_token,
            "xero": xero.exchange_code(_code(consent(xero.authorize_url("bench"), {"tenant_id": tenant_id})))
            .access_token}


def replay(calls: dict[str, list], urls: dict[str, str], tokens: dict[str, str]) -> dict:
    """`calls[side]` as recorded by /_sandbox/recording, interleaving lost: each side in its own order."""
    session = requests.Session()
    sent = failed = 0
    started = time.monotonic()
    for side, recorded in calls.items():
        for call in recorded:
            if any(m in call["path"] for m in AUTH_MARKERS):
                continue  # token exchanges belong to the connection, not to the work
            headers = {**call["headers"], "Authorization": f"Bearer {tokens[side]}"}
            url = f"{urls[side]}{call['path']}" + (f"?{call['query']}" if call["query"] else "")
            response = session.request(call["method"], url, data=call["body"].encode() or None, headers=headers,
                                       timeout=300)
            sent += 1
            failed += response.status_code >= 400
    return {"calls": sent, "non_2xx": failed, "wall_s": round(time.monotonic() - started, 3)}


def replay_initial(recorded: dict[str, list], sandboxes: dict[str, Sandbox], size: str, seed: int,
                   tenant_id: str, site_url: str) -> dict:
    for sandbox in sandboxes.values():
        sandbox.reset(size, seed)
        sandbox.faults(rate_limits=False)
    tokens = fresh_tokens(tenant_id, site_url)
    for sandbox in sandboxes.values():
        sandbox.repeat_ids(seed)  # as the recorded run did before its first call
    return replay(recorded, {side: s.url for side, s in sandboxes.items()}, tokens)
